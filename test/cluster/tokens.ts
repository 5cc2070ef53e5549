import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The test identities both API servers authenticate (issue 10's role table). */
export const TEST_USERS = {
  admin: ['system:masters'],
  editor: ['wasmbed:editors'],
  viewer: ['wasmbed:viewers'],
  'wasmbed:gateway:gw-a': ['wasmbed:gateways'],
  nobody: [],
} as const satisfies Record<string, readonly string[]>;

export type TestUser = keyof typeof TEST_USERS;

export interface TokenFile {
  /** Path of the file, in kube-apiserver's `--token-auth-file` format. */
  file: string;
  /** Bearer token of each test user. */
  tokens: Record<TestUser, string>;
}

/**
 * Writes `DIR/tokens.csv` (`token,user,uid[,"group1,group2"]` per line, mode 0600) with a fresh
 * random token for each test user; one file serves both servers so they see the same users.
 */
export function writeTokenFile(dir: string): TokenFile {
  const tokens = {} as Record<TestUser, string>;
  const lines: string[] = [];
  for (const [user, groups] of Object.entries(TEST_USERS) as [TestUser, readonly string[]][]) {
    const token = randomBytes(24).toString('hex');
    tokens[user] = token;
    const uid = `uid-${user.replace(/[^a-z0-9-]/g, '-')}`;
    lines.push(
      groups.length > 0
        ? `${token},${user},${uid},"${groups.join(',')}"`
        : `${token},${user},${uid}`,
    );
  }
  const file = join(dir, 'tokens.csv');
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  return { file, tokens };
}

/** Reads a token file back: user name → token (the first token of each user). */
export function tokensByUser(text: string): Map<string, string> {
  const byUser = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const [token, user] = line.split(',', 2);
    if (token && user && !byUser.has(user)) byUser.set(user, token);
  }
  return byUser;
}
