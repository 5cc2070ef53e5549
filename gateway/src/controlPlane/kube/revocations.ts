import type { KubeConfig } from '@kubernetes/client-node';
import { REVOCATIONS_CONFIGMAP, SYSTEM_NAMESPACE } from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import type { ControlPlaneEvent } from '../types';
import { type KubeApi, paths } from './kubeApi';
import { type RunningInformer, startInformer } from './informer';

interface ConfigMap {
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
}

/** Serials taken from the list: the Device controller keeps it under MAX_REVOKED_SERIALS. */
const MAX_SERIALS = 50_000;
const SERIAL = /^[0-9a-f]{1,64}$/;

/**
 * The fleet's revocation list, ConfigMap wasmbed-system/wasmbed-revocations (serial -> expiry),
 * watched: each change is announced with every serial on it, and the gateway re-signs its CRL
 * and reloads TLS. A gateway thus refuses a certificate another gateway's device revocation
 * named, without any device event of its own.
 */
export class RevocationList {
  private informer!: RunningInformer<ConfigMap>;

  static async start(
    kubeConfig: KubeConfig,
    api: KubeApi,
    emit: (event: ControlPlaneEvent) => void,
    log: Logger,
  ): Promise<RevocationList> {
    const list = new RevocationList();
    const changed = (cm: ConfigMap) => emit({ kind: 'revocationsChanged', serials: serialsOf(cm) });
    list.informer = await startInformer<ConfigMap>(
      kubeConfig,
      api,
      paths.core(SYSTEM_NAMESPACE, 'configmaps'),
      { add: changed, update: changed },
      log,
      { fieldSelector: `metadata.name=${REVOCATIONS_CONFIGMAP}` },
    );
    return list;
  }

  serials(): string[] {
    const cm = this.informer.get(REVOCATIONS_CONFIGMAP, SYSTEM_NAMESPACE);
    return cm ? serialsOf(cm) : [];
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

function serialsOf(cm: ConfigMap): string[] {
  return Object.keys(cm.data ?? {})
    .map(s => s.toLowerCase())
    .filter(s => SERIAL.test(s))
    .slice(0, MAX_SERIALS);
}
