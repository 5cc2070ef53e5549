import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ANNOTATION_TOKEN_EXPIRES,
  ANNOTATION_TOKEN_REDEEMED,
  ANNOTATION_TOKEN_REDEEMED_BY,
} from '@wasmbed/plugin-wasmbed-common';
import type { TokenVerdict } from '../types';
import { type KubeApi, KubeApiError, paths } from './kubeApi';

interface Secret {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** Conflicts tolerated from writers that changed something else on the Secret meanwhile. */
const MAX_CONFLICTS = 3;

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

/**
 * Redeems a device's one-time bootstrap token, held in a Secret the Device names: read it,
 * compare in constant time, then write it back marked redeemed, guarded by the resourceVersion
 * that was read. Of two gateways racing for one token, the second write gets 409 and, on the
 * re-read, finds it redeemed: exactly one wins.
 */
export async function redeemToken(
  api: KubeApi,
  namespace: string,
  ref: { name: string; key: string } | undefined,
  presented: string,
  gateway: string,
  now: () => Date = () => new Date(),
): Promise<TokenVerdict> {
  if (!ref) return 'tokenInvalid';
  for (let attempt = 0; ; attempt++) {
    const secret = await api.find<Secret>(paths.core(namespace, 'secrets', ref.name));
    const stored = secret?.data?.[ref.key];
    if (!secret || stored === undefined) return 'tokenInvalid';
    // Digests of equal length, so the comparison's time says nothing about the token.
    const same = timingSafeEqual(digest(Buffer.from(stored, 'base64')), digest(presented));
    if (!same) return 'tokenInvalid';
    const annotations = secret.metadata.annotations ?? {};
    if (annotations[ANNOTATION_TOKEN_REDEEMED]) return 'tokenUsed';
    const expires = annotations[ANNOTATION_TOKEN_EXPIRES];
    if (expires !== undefined) {
      const at = Date.parse(expires);
      if (Number.isNaN(at) || now().getTime() > at) return 'tokenExpired';
    }
    const spent: Secret = {
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: {
          ...annotations,
          [ANNOTATION_TOKEN_REDEEMED]: now().toISOString(),
          [ANNOTATION_TOKEN_REDEEMED_BY]: gateway,
        },
      },
    };
    try {
      await api.request('PUT', paths.core(namespace, 'secrets', ref.name), spent);
      return 'ok';
    } catch (err) {
      // Someone wrote the Secret since we read it: read again (it may now be redeemed).
      if (err instanceof KubeApiError && err.status === 409 && attempt < MAX_CONFLICTS) continue;
      throw err;
    }
  }
}
