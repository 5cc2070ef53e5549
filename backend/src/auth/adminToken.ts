import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UserInfo } from '../registry/types';
import { SUPERUSER_GROUP } from './roles';

export const ADMIN_TOKEN_FILE = 'admin.token';
export const ADMIN_USER: UserInfo = { name: 'admin', uid: 'admin', groups: [SUPERUSER_GROUP] };

/** The admin's bearer token: generated on first start (256 random bits), owner-only, then reused. */
export function loadOrCreateAdminToken(dataDir: string): string {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (!/^[A-Za-z0-9_-]{16,}$/.test(token))
      throw new Error(`${file} does not hold a token; remove it to generate one`);
    chmodSync(file, 0o600);
    return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
