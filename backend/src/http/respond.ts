import type { ServerResponse } from 'node:http';
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

export function sendError(res: ServerResponse, error: ApiError, encoding: Encoding = 'json'): void {
  const retry = error.status.details?.retryAfterSeconds;
  send(res, error.code, error.status, {
    encoding,
    ...(retry ? { headers: { 'Retry-After': String(retry) } } : {}),
  });
}
