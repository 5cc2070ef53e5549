import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import type { ApiError } from '../registry/types';
import type { Encoding } from './negotiation';

/** A Warning header value as kube writes it: `299 - "text"` with quotes and backslashes escaped. */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, c => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;
}

export function setWarnings(res: ServerResponse, warnings: string[]): void {
  const unique = [...new Set(warnings)];
  if (unique.length > 0 && !res.headersSent) res.setHeader('Warning', unique.map(warningHeader));
}

export function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  options: { encoding?: Encoding; contentType?: string; headers?: Record<string, string> } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const yaml = options.encoding === 'yaml';
  const text = yaml
    ? toYaml(body, { lineWidth: 0, aliasDuplicateObjects: false })
    : `${JSON.stringify(body)}\n`;
  res.writeHead(code, {
    'Content-Type': options.contentType ?? (yaml ? 'application/yaml' : 'application/json'),
    'Cache-Control': 'no-cache, private',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    ...options.headers,
  });
  res.end(text);
}

/**
 * A JSON body produced piece by piece (a full list read a page at a time), sent chunked: the
 * next piece is asked for only once the socket has taken the previous one, so memory holds
 * about one page. A piece that fails after the status line was sent can only cut the
 * response off (the client sees a truncated body and retries).
 */
export function sendJsonPieces(
  res: ServerResponse,
  code: number,
  pieces: { next(): string | undefined },
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'X-Content-Type-Options': 'nosniff',
  });
  const writeMore = (): void => {
    for (;;) {
      if (res.destroyed) return;
      let piece: string | undefined;
      try {
        piece = pieces.next();
      } catch {
        res.destroy();
        return;
      }
      if (piece === undefined) {
        res.end('\n');
        return;
      }
      if (piece !== '' && !res.write(piece)) {
        res.once('drain', writeMore);
        return;
      }
    }
  };
  writeMore();
}

export function sendError(res: ServerResponse, error: ApiError, encoding: Encoding = 'json'): void {
  const retry = error.status.details?.retryAfterSeconds;
  send(res, error.code, error.status, {
    encoding,
    ...(retry ? { headers: { 'Retry-After': String(retry) } } : {}),
  });
}

/**
 * A document clients cache (aggregated discovery): sent with an ETag of its content, and
 * answered 304 when the client already holds that version, as kube-apiserver does.
 */
export function sendCacheable(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  contentType: string,
): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha512').update(text).digest('hex').toUpperCase()}"`;
  const headers = { ETag: etag, Vary: 'Accept', 'Cache-Control': 'no-cache, private' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
