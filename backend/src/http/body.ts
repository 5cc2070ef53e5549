import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, requestEntityTooLarge } from './status';
import { ApiError } from '../registry/types';
import { failure } from './status';
import { excessiveNesting } from './duplicateFields';

/** kube-apiserver's limit on a request body (3 MiB): larger bodies get 413 "limit is 3145728". */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Reads a request body, never buffering more than `limit` bytes: a declared length over the
 * limit is refused before reading, a stream that grows past it is refused as soon as it does.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(requestEntityTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: ApiError) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish(requestEntityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', () => finish(badRequest('the request body could not be read')));
    req.once('aborted', () => finish(badRequest('the request body could not be read')));
  });
}

export type BodyFormat = 'json' | 'yaml';

/** The format a Content-Type announces for object bodies (POST/PUT), or undefined (415). */
export function objectBodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === '') return 'json';
  if (type === 'application/yaml') return 'yaml';
  return undefined;
}

/**
 * Decodes a body. Errors are 400 BadRequest with the parser's message, as kube-apiserver
 * answers a body it cannot decode (its wording comes from Go's decoder and differs).
 */
export function decodeBody(bytes: Buffer, format: BodyFormat): unknown {
  const text = bytes.toString('utf8');
  if (format === 'json') {
    if (excessiveNesting(text)) throw badRequest('json parse error: exceeded max depth');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw badRequest(`json parse error: ${(error as Error).message}`);
    }
  }
  try {
    // One document, no aliases expanding into huge trees (a billion-laughs body stays small).
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (error) {
    throw new ApiError(
      failure(
        400,
        'BadRequest',
        `error converting YAML to JSON: ${(error as Error).message.split('\n')[0]}`,
      ),
    );
  }
}
