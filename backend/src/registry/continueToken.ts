import { badRequest } from './errors';

/**
 * The `continue` token of a paged list, shaped like kube's (base64url of
 * {"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}): the revision the first page was read at,
 * so every page shows the same snapshot, and the key (relative to the list's prefix) to
 * start from.
 */

export interface ContinuePosition {
  rv: number;
  /** First key (relative to the collection prefix) of the next page. */
  start: string;
}

export function encodeContinue(position: ContinuePosition): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: position.rv, start: position.start }),
  ).toString('base64url');
}

export function decodeContinue(token: string): ContinuePosition {
  const refuse = (why: string) =>
    badRequest(`invalid continue token: continue key is not valid: ${why}`);
  const bad = /[^A-Za-z0-9_-]/.exec(token.replace(/=+$/, ''));
  if (bad) throw refuse(`illegal base64 data at input byte ${bad.index}`);
  const text = Buffer.from(token, 'base64url').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const first = text.trimStart()[0] ?? '';
    throw refuse(`invalid character '${first}' looking for beginning of value`);
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p?.v !== 'meta.k8s.io/v1')
    throw refuse(`got version ${String(p?.v)}, expected meta.k8s.io/v1`);
  if (typeof p.rv !== 'number' || !Number.isSafeInteger(p.rv) || p.rv < 0) {
    throw refuse('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (
    typeof p.start !== 'string' ||
    p.start === '' ||
    p.start.includes('..') ||
    p.start.startsWith('/')
  ) {
    throw refuse('encoded start key is not valid');
  }
  return { rv: p.rv, start: p.start };
}
