/**
 * When a gateway's Lease runs out: renewTime (or acquireTime) + leaseDurationSeconds. A Lease
 * without either has never been held and is expired already.
 */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
  };
}

export function leaseExpiresAt(lease: Lease | undefined): number {
  const spec = lease?.spec;
  const since = Date.parse(spec?.renewTime ?? spec?.acquireTime ?? '');
  if (!Number.isFinite(since)) return 0;
  return since + (spec?.leaseDurationSeconds ?? 0) * 1000;
}
