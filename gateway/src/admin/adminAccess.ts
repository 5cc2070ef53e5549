import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import path from 'node:path';
import { readTextIfExists, writeSecretFile } from '../pki/secretFiles';

/** The admin API's bearer token: DATA/admin.token, made on first start, owner-only. */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, 'admin.token');
}

/** Reads the admin token, making it on first start. It is printed nowhere: clients read it. */
export function loadAdminToken(dataDir: string): string {
  const file = adminTokenFile(dataDir);
  const existing = readTextIfExists(file)?.trim();
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  writeSecretFile(file, `${token}\n`);
  return token;
}

export class AccessDenied extends Error {
  constructor(
    readonly status: 401 | 403 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Loopback is not a boundary against a browser on the same host: any page it loads can send
 * requests here, and a DNS-rebound name can even read the answers. So every request must name
 * this listener in Host (a rebound name does not), carry no foreign Origin (a page's fetch
 * does), and bear the token from the data directory (a page cannot read it); a body must be
 * declared JSON (a form or a no-preflight fetch cannot declare it).
 */
export function checkAdminRequest(req: http.IncomingMessage, port: number, token: string): void {
  const origins = ['127.0.0.1', 'localhost', '[::1]'].map(h => `${h}:${port}`);
  const host = req.headers.host?.toLowerCase();
  if (!host || !origins.includes(host))
    throw new AccessDenied(403, `Host ${host ?? '(none)'} is not this loopback listener`);
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.some(o => origin.toLowerCase() === `http://${o}`))
    throw new AccessDenied(403, `requests from origin ${origin} are refused`);
  const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!presented || !sameSecret(presented, token))
    throw new AccessDenied(
      401,
      'a valid bearer token is required (Authorization: Bearer ..., from DATA/admin.token)',
    );
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    Number(req.headers['content-length'] ?? 0) > 0;
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if ((hasBody || type !== undefined) && type !== 'application/json')
    throw new AccessDenied(415, `a body must be application/json, not ${type ?? 'untyped'}`);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
