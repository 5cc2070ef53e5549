import {
  MAX_REVOKED_SERIALS,
  REVOCATIONS_CONFIGMAP,
  SYSTEM_NAMESPACE,
} from '@wasmbed/plugin-wasmbed-common';
import { isAlreadyExists, isNotFound, type KubeClient } from './kubeClient';

/**
 * The fleet's revocation list: ConfigMap wasmbed-system/wasmbed-revocations, data = serial
 * (lowercase hex) -> ISO time its certificate expires. Gateways watch it and re-sign their
 * CRL. An expired certificate is refused anyway, so its entry is dropped; past
 * MAX_REVOKED_SERIALS the entries that expire soonest go first.
 */

const PATH = `/api/v1/namespaces/${SYSTEM_NAMESPACE}/configmaps`;
const YEAR_MS = 365 * 24 * 3600_000;

export interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

/**
 * Serials as the list keys them: lowercase hex without separators, digits as the gateway
 * wrote them in status.certificateSerials (leading zeros kept, so its lookups match).
 */
export function normalSerial(serial: string): string {
  return serial.toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** The list with `additions` merged in, expired entries dropped and the bound kept. */
export function mergeRevocations(
  data: Record<string, string>,
  additions: Record<string, string>,
  now = Date.now(),
): Record<string, string> {
  const merged = new Map<string, string>();
  for (const [serial, expires] of Object.entries({ ...data, ...additions })) {
    const t = Date.parse(expires);
    if (Number.isFinite(t) && t <= now) continue;
    merged.set(serial, expires);
  }
  if (merged.size <= MAX_REVOKED_SERIALS) return Object.fromEntries(merged);
  const byExpiry = [...merged].sort((a, b) => Date.parse(b[1]) - Date.parse(a[1]));
  return Object.fromEntries(byExpiry.slice(0, MAX_REVOKED_SERIALS));
}

/** Expiry of each serial: the current certificate's notAfter, otherwise a year from now. */
export function revocationEntries(
  serials: readonly string[],
  current: { serialNumber: string; notAfter: string } | undefined,
  now = Date.now(),
): Record<string, string> {
  const out: Record<string, string> = {};
  const currentSerial = current ? normalSerial(current.serialNumber) : undefined;
  for (const s of serials) {
    const serial = normalSerial(s);
    if (!serial) continue;
    out[serial] =
      serial === currentSerial ? current!.notAfter : new Date(now + YEAR_MS).toISOString();
  }
  if (currentSerial && !(currentSerial in out)) out[currentSerial] = current!.notAfter;
  return out;
}

export async function ensureRevocationList(client: KubeClient): Promise<void> {
  try {
    await client.create(PATH, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: REVOCATIONS_CONFIGMAP, namespace: SYSTEM_NAMESPACE },
      data: {},
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/**
 * Puts `entries` on the list (true when it had to write, false when they were all there).
 * The PUT carries the read's resourceVersion, so two writers cannot lose each other's serials
 * (the loser gets 409 and its reconcile runs again).
 */
export async function revoke(
  client: KubeClient,
  entries: Record<string, string>,
): Promise<boolean> {
  let cm: ConfigMap;
  try {
    cm = await client.get<ConfigMap>(`${PATH}/${REVOCATIONS_CONFIGMAP}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await ensureRevocationList(client);
    cm = await client.get<ConfigMap>(`${PATH}/${REVOCATIONS_CONFIGMAP}`);
  }
  const data = cm.data ?? {};
  const now = Date.now();
  const missing = Object.entries(entries).filter(
    ([s, exp]) => data[s] === undefined && !(Date.parse(exp) <= now),
  );
  if (missing.length === 0) return false;
  await client.replace(`${PATH}/${REVOCATIONS_CONFIGMAP}`, {
    ...cm,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    data: mergeRevocations(data, Object.fromEntries(missing), now),
  });
  return true;
}
