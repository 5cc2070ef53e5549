import { readFileSync } from 'node:fs';
import { CA_SECRET, SYSTEM_NAMESPACE } from '@wasmbed/plugin-wasmbed-common';
import { registerDevice } from '../../scripts/platform/fleet';
import { KubeClient, resourcePath, type KubeObject } from '../../scripts/platform/kubeClient';

/** What a QEMU device needs from the platform to be provisioned. */
export interface PlatformProvisioning {
  caPem: string;
  /** A fresh bootstrap token, when one was asked for. */
  token?: string;
  /** Device endpoints (HOST:PORT) of the Ready gateways, by name; at most 4. */
  gateways: string[];
}

/** A REST client with the kubeconfig's current context (server, CA, bearer token) and its namespace. */
export async function kubeClientFrom(
  kubeconfig: string,
): Promise<{ client: KubeClient; namespace: string }> {
  // ESM-only package: loaded when this path is taken, not when the fixture path is.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user?.token)
    throw new Error(`${kubeconfig}: its current context needs a cluster and a user with a token`);
  const caPem = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile
      ? readFileSync(cluster.caFile, 'utf8')
      : undefined;
  if (!caPem) throw new Error(`${kubeconfig}: the cluster has no certificate authority`);
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { client: new KubeClient(cluster.server, caPem, user.token), namespace };
}

/**
 * Provisioning from the platform: the fleet CA from its Secret in wasmbed-system, the device
 * registered (a Device resource and its bootstrap token in a Secret) when `register` is set, and
 * the device endpoints the Ready gateways advertise in their status.
 */
export async function platformProvisioning(o: {
  client: KubeClient;
  namespace: string;
  name: string;
  board: string;
  register: boolean;
  token?: string;
}): Promise<PlatformProvisioning> {
  const secret = await o.client.get<KubeObject & { data?: Record<string, string> }>(
    resourcePath('Secret', SYSTEM_NAMESPACE, CA_SECRET),
  );
  const caPem = Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString('utf8');
  if (!caPem.includes('BEGIN CERTIFICATE'))
    throw new Error(`${SYSTEM_NAMESPACE}/${CA_SECRET} holds no tls.crt: are the gateways up?`);
  const token = o.register
    ? await registerDevice(o.client, o.namespace, o.name, o.board, o.token)
    : undefined;
  const gateways = (await o.client.list(resourcePath('Gateway', o.namespace)))
    .filter(g => (g.status as { phase?: string } | undefined)?.phase === 'Ready')
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map(g => (g.status as { endpoints?: { devices?: string } }).endpoints?.devices)
    .filter((e): e is string => !!e)
    .slice(0, 4);
  return { caPem, token, gateways };
}
