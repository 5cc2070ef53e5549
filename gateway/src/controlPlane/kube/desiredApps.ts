import type { KubeConfig } from '@kubernetes/client-node';
import type { AppInstance } from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import type { ControlPlaneEvent, DesiredApp } from '../types';
import { type KubeApi, paths } from './kubeApi';
import { type RunningInformer, startInformer } from './informer';
import { ModuleCache } from './moduleCache';

/** What the Application schema defaults to, for an instance that sets only activation. */
const DEFAULT_LIMITS = { memoryBytes: 65536, fuelPerActivation: 1_000_000 };

/**
 * The AppInstances of the fleet, kept by a watch and indexed by device: what each device
 * should run. A change of an instance's spec (its generation) announces desiredAppsChanged
 * for its device; the gateway's own status writes change no generation and announce nothing.
 */
export class DesiredAppsCache {
  private informer!: RunningInformer<AppInstance>;
  private readonly byDevice = new Map<string, Set<string>>();
  /** Instance name -> [device, generation] last seen, to tell spec changes from status ones. */
  private readonly seen = new Map<string, [string, number]>();
  /** Generation this gateway gave the device, ahead of its own status write coming back. */
  private readonly delivered = new Map<string, number>();

  private constructor(
    private readonly namespace: string,
    private readonly modules: ModuleCache,
    private readonly emit: (event: ControlPlaneEvent) => void,
  ) {}

  static async start(
    kubeConfig: KubeConfig,
    api: KubeApi,
    namespace: string,
    modules: ModuleCache,
    emit: (event: ControlPlaneEvent) => void,
    log: Logger,
  ): Promise<DesiredAppsCache> {
    const cache = new DesiredAppsCache(namespace, modules, emit);
    cache.informer = await startInformer<AppInstance>(
      kubeConfig,
      api,
      paths.wasmbed(namespace, 'appinstances'),
      { add: i => cache.changed(i), update: i => cache.changed(i), delete: i => cache.gone(i) },
      log,
    );
    return cache;
  }

  instance(name: string): AppInstance | undefined {
    return this.informer.get(name, this.namespace);
  }

  /** The instance of app APP on DEVICE (the app's name on the device is its Application's). */
  instanceOf(device: string, app: string): AppInstance | undefined {
    for (const name of this.byDevice.get(device) ?? []) {
      const i = this.instance(name);
      if (i?.spec.application === app) return i;
    }
    return undefined;
  }

  /** Records that the device was given generation G of this instance's spec. */
  markDelivered(instance: string, generation: number): void {
    this.delivered.set(instance, generation);
  }

  async desiredApps(device: string): Promise<DesiredApp[]> {
    const apps: DesiredApp[] = [];
    for (const name of this.byDevice.get(device) ?? []) {
      const i = this.instance(name);
      if (!i || i.metadata.deletionTimestamp) continue;
      apps.push(await this.toDesired(i));
    }
    return apps;
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  private async toDesired(i: AppInstance): Promise<DesiredApp> {
    const { spec } = i;
    const generation = i.metadata.generation ?? 1;
    const observed = i.status?.observedGeneration;
    const local = this.delivered.get(i.metadata.name);
    const app: DesiredApp = {
      name: spec.application,
      module: new Uint8Array(0),
      sha256: spec.module.sha256,
      config: spec.config,
      running: true,
      generation,
      deliveredGeneration: Math.max(local ?? 0, observed ?? 0) || undefined,
    };
    const periodMs = spec.activation?.periodMs;
    if (spec.limits || periodMs !== undefined) {
      app.limits = {
        ...DEFAULT_LIMITS,
        ...spec.limits,
        ...(periodMs !== undefined ? { periodMs } : {}),
      };
    }
    try {
      app.module = await this.modules.get(
        this.namespace,
        spec.module.configMap,
        spec.module.sha256,
      );
    } catch (err) {
      app.problem = (err as Error).message;
    }
    return app;
  }

  private changed(i: AppInstance): void {
    const name = i.metadata.name;
    const device = i.spec.device;
    const generation = i.metadata.generation ?? 1;
    const before = this.seen.get(name);
    if (before && before[0] === device && before[1] === generation && !i.metadata.deletionTimestamp)
      return;
    if (before && before[0] !== device) this.unindex(name, before[0]);
    this.seen.set(name, [device, generation]);
    let set = this.byDevice.get(device);
    if (!set) this.byDevice.set(device, (set = new Set()));
    set.add(name);
    this.emit({ kind: 'desiredAppsChanged', device });
  }

  private gone(i: AppInstance): void {
    const name = i.metadata.name;
    const device = this.seen.get(name)?.[0] ?? i.spec.device;
    this.seen.delete(name);
    this.delivered.delete(name);
    this.unindex(name, device);
    this.emit({ kind: 'desiredAppsChanged', device });
  }

  private unindex(name: string, device: string): void {
    const set = this.byDevice.get(device);
    set?.delete(name);
    if (set?.size === 0) this.byDevice.delete(device);
  }
}
