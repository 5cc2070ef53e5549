import type { KubeConfig } from '@kubernetes/client-node';
import type { Device } from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import type { ControlPlaneEvent, DeviceRecord } from '../types';
import { type KubeApi, paths } from './kubeApi';
import { type RunningInformer, startInformer } from './informer';

/** Serials remembered of deleted devices, so a late revocation can still name them. */
const MAX_DELETED_REMEMBERED = 10_000;

/**
 * The fleet's Devices, kept by a watch: what a device may do (its pinned key, whether it is
 * revoked) and what was last written of its status. A device that becomes revoked, starts
 * being deleted or is gone is announced once, so its session is closed at once.
 */
export class DeviceCache {
  private informer!: RunningInformer<Device>;
  private readonly revokedSeen = new Set<string>();
  private readonly deletedSerials = new Map<string, string[]>();

  private constructor(
    private readonly namespace: string,
    private readonly emit: (event: ControlPlaneEvent) => void,
  ) {}

  static async start(
    kubeConfig: KubeConfig,
    api: KubeApi,
    namespace: string,
    emit: (event: ControlPlaneEvent) => void,
    log: Logger,
  ): Promise<DeviceCache> {
    const cache = new DeviceCache(namespace, emit);
    cache.informer = await startInformer<Device>(
      kubeConfig,
      api,
      paths.wasmbed(namespace, 'devices'),
      {
        add: d => cache.changed(d),
        update: d => cache.changed(d),
        delete: d => cache.deleted(d),
      },
      log,
    );
    return cache;
  }

  object(name: string): Device | undefined {
    return this.informer.get(name, this.namespace);
  }

  all(): Device[] {
    return this.informer.list(this.namespace);
  }

  record(name: string): DeviceRecord | undefined {
    const d = this.object(name);
    if (!d) return undefined;
    return {
      name,
      board: d.spec?.board,
      pinnedPublicKeyPem: d.spec?.enrollment?.publicKey,
      revoked: isRevoked(d),
    };
  }

  /** Serials of every certificate the device's status lists (or listed, if deleted). */
  serials(name: string): string[] {
    return this.object(name)?.status?.certificateSerials ?? this.deletedSerials.get(name) ?? [];
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  private changed(d: Device): void {
    const name = d.metadata.name;
    if (!isRevoked(d)) {
      this.revokedSeen.delete(name);
      return;
    }
    if (this.revokedSeen.has(name)) return;
    this.revokedSeen.add(name);
    this.emit({ kind: 'deviceRevoked', device: name });
  }

  private deleted(d: Device): void {
    const name = d.metadata.name;
    this.revokedSeen.delete(name);
    this.deletedSerials.delete(name);
    this.deletedSerials.set(name, d.status?.certificateSerials ?? []);
    if (this.deletedSerials.size > MAX_DELETED_REMEMBERED) {
      this.deletedSerials.delete(this.deletedSerials.keys().next().value!);
    }
    this.emit({ kind: 'deviceDeleted', device: name });
  }
}

/** Revoked: by its spec, or on its way out (deletion waits on the revocation finalizer). */
export function isRevoked(d: Device): boolean {
  return d.spec?.revoked === true || d.metadata.deletionTimestamp !== undefined;
}
