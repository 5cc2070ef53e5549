import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LABEL_APPLICATION } from '@wasmbed/plugin-wasmbed-common';
import { KubeClient, resourcePath, type KubeObject } from './kubeClient';

export const GROUP_VERSION = 'wasmbed.io/v1alpha1';
/** Key of the bootstrap token in its Secret. */
export const TOKEN_KEY = 'token';

export function tokenSecretName(device: string): string {
  return `${device}-bootstrap`;
}

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

/** The Device resource of one device that enrolls with a bootstrap token. */
export function deviceResource(name: string, board: string, namespace: string): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Device',
    metadata: { name, namespace, labels: { 'wasmbed.io/board': board } },
    spec: {
      board,
      enrollment: { bootstrapTokenSecretRef: { name: tokenSecretName(name), key: TOKEN_KEY } },
    },
  };
}

/**
 * Registers a device: its bootstrap token in a fresh Secret (replacing a redeemed one) and its
 * Device resource (kept as it is when it exists). Returns the token for its provisioning.
 */
export async function registerDevice(
  admin: KubeClient,
  namespace: string,
  name: string,
  board: string,
  token = newToken(),
): Promise<string> {
  const secrets = resourcePath('Secret', namespace);
  const secretName = tokenSecretName(name);
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace },
    type: 'Opaque',
    data: { [TOKEN_KEY]: Buffer.from(token).toString('base64') },
  };
  // A new token is a new Secret: the redeemed annotations of an earlier token must go too.
  if (await admin.find(`${secrets}/${secretName}`)) await admin.delete(`${secrets}/${secretName}`);
  await admin.create(secrets, secret);
  const devices = resourcePath('Device', namespace);
  if (!(await admin.find(`${devices}/${name}`)))
    await admin.create(devices, deviceResource(name, board, namespace));
  return token;
}

export interface AppOptions {
  name: string;
  namespace: string;
  /** The module file (sent inline, base64). */
  moduleFile: string;
  devices: string[];
  config?: Record<string, string>;
  maxUnavailable?: number;
  periodMs?: number;
}

/** An Application with its module inline, targeting devices by name. */
export function applicationResource(o: AppOptions): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Application',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      module: { inline: readFileSync(o.moduleFile).toString('base64') },
      target: { devices: o.devices },
      ...(o.config ? { config: o.config } : {}),
      activation: { periodMs: o.periodMs ?? 1000 },
      rollout: { maxUnavailable: o.maxUnavailable ?? 10 },
    },
  };
}

/** The manifest as YAML-compatible JSON for `kubectl apply -f`. */
export function manifest(objects: KubeObject[]): string {
  return objects.map(o => JSON.stringify(o, null, 2)).join('\n---\n') + '\n';
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  const list = (obj?.status?.conditions ?? []) as Condition[];
  return list.find(c => c.type === type);
}

export interface InstanceView {
  name: string;
  device: string;
  revision: number;
  generation: number;
  phase: string;
  observedGeneration?: number;
  gateway?: string;
  telemetry: { topic: string; value: number; time: string }[];
}

/** The AppInstances of an Application, as read from the API. */
export async function instancesOf(
  client: KubeClient,
  namespace: string,
  app: string,
): Promise<InstanceView[]> {
  const items = await client.list(
    `${resourcePath('AppInstance', namespace)}?labelSelector=${encodeURIComponent(`${LABEL_APPLICATION}=${app}`)}`,
  );
  return items.map(i => ({
    name: i.metadata.name,
    device: String(i.spec?.device ?? ''),
    revision: Number(i.spec?.revision ?? 0),
    generation: Number(i.metadata.generation ?? 0),
    phase: String(i.status?.phase ?? 'Pending'),
    observedGeneration: i.status?.observedGeneration as number | undefined,
    gateway: i.status?.gateway as string | undefined,
    telemetry: (i.status?.telemetry ?? []) as InstanceView['telemetry'],
  }));
}

/** Running at `revision`, as the Application controller counts it. */
export function runningAt(i: InstanceView, revision: number): boolean {
  return i.revision === revision && i.phase === 'Running' && i.observedGeneration === i.generation;
}
