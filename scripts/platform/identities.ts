import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeKubeconfig } from '../../test/cluster/kubeconfig';

/** The groups the API server's roles know (backend/src/auth/roles.ts). */
export const GATEWAYS_GROUP = 'wasmbed:gateways';
export const VIEWERS_GROUP = 'wasmbed:viewers';
export const VIEWER_USER = 'viewer';

export function gatewayUser(gateway: string): string {
  return `wasmbed:gateway:${gateway}`;
}

export interface Identity {
  user: string;
  groups: string[];
  token: string;
}

/**
 * The platform's non-admin identities in kube-apiserver's static token format
 * (`token,user,uid,"group1,group2"`), kept in `DIR/tokens.csv` (owner-only) so a restarted
 * platform keeps its tokens: kubeconfigs handed out earlier still work.
 */
export class TokenFile {
  readonly file: string;
  private readonly identities = new Map<string, Identity>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, 'tokens.csv');
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        const m = /^([^,]+),([^,]+),[^,]+(?:,"([^"]*)")?$/.exec(line.trim());
        if (m)
          this.identities.set(m[2]!, {
            token: m[1]!,
            user: m[2]!,
            groups: m[3] ? m[3].split(',') : [],
          });
      }
    }
  }

  /** The identity of `user` in `groups`, made (and the file rewritten) if it is new. */
  ensure(user: string, groups: string[]): Identity {
    const known = this.identities.get(user);
    if (known && known.groups.join(',') === groups.join(',')) return known;
    const identity = { user, groups, token: randomBytes(24).toString('hex') };
    this.identities.set(user, identity);
    this.write();
    return identity;
  }

  private write(): void {
    const lines = [...this.identities.values()].map(
      i => `${i.token},${i.user},uid-${i.user.replace(/[^a-z0-9-]/g, '-')},"${i.groups.join(',')}"`,
    );
    writeFileSync(this.file, lines.join('\n') + '\n', { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}

/** Writes an owner-only kubeconfig for one identity; returns its path. */
export function identityKubeconfig(
  dir: string,
  name: string,
  server: string,
  caPem: string,
  identity: Identity,
): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${name}.kubeconfig`);
  writeKubeconfig(file, server, caPem, identity.user, identity.token);
  chmodSync(file, 0o600);
  return file;
}
