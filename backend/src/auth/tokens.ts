import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../registry/types';

/** Every authenticated user also carries this group, as kube-apiserver adds it. */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/**
 * Parses kube-apiserver's `--token-auth-file` format: CSV lines `token,user,uid[,"g1,g2"]`.
 * A malformed line is an error naming the line (kube-apiserver refuses to start too); blank
 * lines are skipped.
 */
export function parseTokenFile(text: string, source: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = splitCsvLine(line);
    if (!fields || fields.length < 3 || fields[0] === '' || fields[1] === '') {
      throw new Error(`${source}:${index + 1}: expected token,user,uid[,"group1,group2"]`);
    }
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined];
    users.set(token, {
      name,
      uid,
      groups: (groups ?? '')
        .split(',')
        .map(g => g.trim())
        .filter(g => g !== ''),
    });
  });
  return users;
}

/** RFC 4180 fields of one line (quotes around a field, "" for a quote inside). */
function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined; // unterminated quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/**
 * Bearer-token authentication over a fixed set of tokens. Lookups compare SHA-256 digests in
 * constant time so response timing does not reveal how much of a token matched.
 */
export class TokenAuthenticator {
  private readonly byDigest = new Map<string, { digest: Buffer; user: UserInfo }>();

  constructor(tokens: Map<string, UserInfo>) {
    for (const [token, user] of tokens) {
      const digest = createHash('sha256').update(token).digest();
      this.byDigest.set(digest.toString('hex'), {
        digest,
        user: { ...user, groups: [...new Set([...user.groups, AUTHENTICATED_GROUP])] },
      });
    }
  }

  static fromFile(file: string, extra: Map<string, UserInfo>): TokenAuthenticator {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read token file ${file}: ${(error as Error).message}`);
    }
    return new TokenAuthenticator(new Map([...parseTokenFile(text, file), ...extra]));
  }

  /** The user of an `Authorization` header value, or undefined (no token, or unknown). */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const digest = createHash('sha256').update(match[1]!).digest();
    const entry = this.byDigest.get(digest.toString('hex'));
    return entry && timingSafeEqual(entry.digest, digest) ? entry.user : undefined;
  }
}
