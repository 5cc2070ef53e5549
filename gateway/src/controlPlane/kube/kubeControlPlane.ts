import type { KubeConfig } from '@kubernetes/client-node';
import {
  appInstanceName,
  MAX_TELEMETRY_TOPICS,
  type AppInstance,
  type Device,
} from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../../metrics';
import {
  MAX_SERIALS_PER_DEVICE,
  StateLimitError,
  type AppObservation,
  type ControlPlane,
  type ControlPlaneEvent,
  type DesiredApp,
  type DeviceObservation,
  type DeviceRecord,
  type LogLine,
  type TelemetrySample,
  type TokenVerdict,
} from '../types';
import { redeemToken } from './bootstrapTokens';
import { DesiredAppsCache } from './desiredApps';
import { DeviceCache } from './deviceCache';
import { EventRecorder } from './eventRecorder';
import { installFleetCa } from './fleetCa';
import { KubeApi } from './kubeApi';
import { ModuleCache } from './moduleCache';
import { type GatewayIdentity, Registration } from './registration';
import { RevocationList } from './revocations';
import {
  type Fields,
  type StatusKind,
  type StatusView,
  StatusWriter,
  type StatusWriterOptions,
} from './statusWriter';

export interface KubeControlPlaneOptions {
  kubeConfig: KubeConfig;
  /** The fleet's namespace: Devices, AppInstances, token Secrets, module ConfigMaps, Leases. */
  namespace: string;
  /** This gateway's name (its Gateway object and Lease; written into what it reports). */
  name: string;
  /** DATA: the fleet CA is copied to DATA/ca for EnrollmentAuthority. */
  dataDir: string;
  endpoint: string;
  enrollEndpoint: string;
  adminPort: number;
  capacity: number;
  heartbeatTimeoutSeconds: number;
  metrics: GatewayMetrics;
  log: Logger;
  writer?: StatusWriterOptions;
  /** Module bytes kept in memory, LRU. */
  moduleCacheBytes?: number;
  /** A device's lastHeartbeat is rewritten at most this often while its phase holds. */
  heartbeatRefreshMs?: number;
  events?: { perSecond: number; burst: number };
}

/** Log lines kept per device (issue 12 serves them); telemetry goes to AppInstance status. */
const LOG_LINES_PER_DEVICE = 64;
const MAX_LOGGED_DEVICES = 20_000;
/** Phases in which a device is held by the gateway named in its status. */
const HOLDING = new Set(['Connected', 'Enrolled']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The gateway's control plane on the Kubernetes API: Devices and AppInstances from watches,
 * modules from ConfigMaps, bootstrap tokens redeemed in Secrets, what devices report written
 * back to devices/status and appinstances/status (coalesced, rate limited), Events, and the
 * gateway's own Gateway object and Lease.
 */
export class KubeControlPlane implements ControlPlane {
  private readonly listeners = new Set<(event: ControlPlaneEvent) => void>();
  private devices!: DeviceCache;
  private apps!: DesiredAppsCache;
  private revocations!: RevocationList;
  private writer!: StatusWriter;
  private events!: EventRecorder;
  private registration!: Registration;
  private readonly logs = new Map<string, LogLine[]>();
  /** Last phase reported per app instance, to tell a failed deploy from a failed app. */
  private readonly lastAppPhase = new Map<string, string>();
  private holds: (device: string) => boolean = () => false;
  /** Devices enrolled (certificates issued at enrollment) by this process. */
  private enrolled = 0;

  private constructor(
    private readonly api: KubeApi,
    private readonly options: KubeControlPlaneOptions,
  ) {}

  /**
   * Fleet CA in DATA/ca, Gateway registered, Lease taken, every watch synced: only then does
   * the gateway open its listeners.
   */
  static async start(options: KubeControlPlaneOptions): Promise<KubeControlPlane> {
    const api = await KubeApi.fromKubeConfig(options.kubeConfig);
    const cp = new KubeControlPlane(api, options);
    try {
      await cp.init();
    } catch (err) {
      await cp.stop().catch(() => {});
      throw err;
    }
    return cp;
  }

  private async init(): Promise<void> {
    const { kubeConfig, namespace, log, metrics, name } = this.options;
    await installFleetCa(this.api, this.options.dataDir, log);
    this.registration = new Registration(this.api, this.identity(), metrics, log);
    await this.registration.start();
    const emit = (e: ControlPlaneEvent) => this.emit(e);
    this.devices = await DeviceCache.start(kubeConfig, this.api, namespace, emit, log);
    const modules = new ModuleCache(this.api, this.options.moduleCacheBytes);
    this.apps = await DesiredAppsCache.start(kubeConfig, this.api, namespace, modules, emit, log);
    this.revocations = await RevocationList.start(kubeConfig, this.api, emit, log);
    this.writer = new StatusWriter(
      this.api,
      namespace,
      {
        current: (kind, object) => this.currentStatus(kind, object),
        keepRefused: (kind, object) =>
          this.holds(kind === 'devices' ? object : (this.apps.instance(object)?.spec.device ?? '')),
      },
      metrics,
      log,
      this.options.writer,
    );
    const ev = this.options.events ?? { perSecond: 10, burst: 50 };
    this.events = new EventRecorder(
      this.api,
      namespace,
      `wasmbed-gateway/${name}`,
      metrics,
      log,
      ev.perSecond,
      ev.burst,
    );
  }

  private identity(): GatewayIdentity {
    const o = this.options;
    return {
      name: o.name,
      namespace: o.namespace,
      endpoint: o.endpoint,
      enrollEndpoint: o.enrollEndpoint,
      adminPort: o.adminPort,
      capacity: o.capacity,
      heartbeatTimeoutSeconds: o.heartbeatTimeoutSeconds,
    };
  }

  /**
   * Called once the listeners are up: `holds(device)` says whether this gateway has a live
   * session with it (a refused write is retried only then), `connected()` counts sessions for
   * the Gateway status, which starts being written now (phase Ready).
   */
  attach(holds: (device: string) => boolean, connected: () => number): void {
    this.holds = holds;
    this.registration.reportFrom(() => ({ connected: connected(), enrolled: this.enrolled }));
  }

  /** Writes what is pending (bounded wait), marks the Gateway NotReady, stops every watch. */
  async stop(): Promise<void> {
    await this.writer?.drain(5_000);
    await this.registration?.stop();
    await Promise.all([this.devices?.stop(), this.apps?.stop(), this.revocations?.stop()]);
    this.api.close();
  }

  /** Reports not yet written (status objects with a pending change). */
  get pendingWrites(): number {
    return this.writer.pendingCount;
  }

  /** The device's last log lines (bounded ring), newest last. */
  deviceLogs(device: string): readonly LogLine[] {
    return this.logs.get(device) ?? [];
  }

  // ---- ControlPlane ----

  async getDevice(name: string): Promise<DeviceRecord | undefined> {
    return this.devices.record(name);
  }

  async redeemBootstrapToken(device: string, token: string): Promise<TokenVerdict> {
    const ref = this.devices.object(device)?.spec?.enrollment?.bootstrapTokenSecretRef;
    return redeemToken(this.api, this.options.namespace, ref, token, this.options.name);
  }

  async certificateSerials(device: string): Promise<string[]> {
    return this.devices.serials(device);
  }

  desiredApps(device: string): Promise<DesiredApp[]> {
    return this.apps.desiredApps(device);
  }

  async revokedSerials(): Promise<string[]> {
    return this.revocations.serials();
  }

  async reportDevice(device: string, o: DeviceObservation): Promise<void> {
    const d = this.devices.object(device);
    if (!d) return;
    const me = this.options.name;
    const status = d.status ?? {};
    const pending = this.writer.pendingFields('devices', device);
    const fields: Fields = {};
    const phaseBefore = (pending?.phase as string | undefined) ?? status.phase;
    const phaseChanges = o.phase !== undefined && o.phase !== phaseBefore;
    if (o.phase !== undefined) {
      fields.phase = o.phase;
      // Enrolling/Enrolled: no session anywhere yet, so no gateway holds the device and the
      // first gateway it connects to may report it (the holding rule keys on status.gateway).
      fields.gateway = o.phase === 'Enrolling' || o.phase === 'Enrolled' ? null : me;
    }
    if (o.lastHeartbeat) {
      // Rewritten on a phase change, else at most every heartbeatRefreshMs: 10,000 devices
      // heartbeating are not 10,000 writes per heartbeat period.
      const last = Date.parse((pending?.lastHeartbeat as string) ?? status.lastHeartbeat ?? '');
      const refresh = this.options.heartbeatRefreshMs ?? 300_000;
      if (phaseChanges || !(o.lastHeartbeat.getTime() - last < refresh))
        fields.lastHeartbeat = o.lastHeartbeat.toISOString();
      else this.options.metrics.reportsCoalesced.inc();
    }
    if (o.firmwareVersion !== undefined) fields.firmwareVersion = o.firmwareVersion.slice(0, 64);
    if (o.capabilities) {
      const { hostApiVersion, memoryBytes, maxModuleBytes, maxApps } = o.capabilities;
      fields.capabilities = { hostApiVersion, memoryBytes, maxModuleBytes, maxApps };
    }
    if (o.apps) {
      fields.apps = o.apps
        .filter(a => DNS_SUBDOMAIN.test(a.name) && a.name.length <= 253 && SHA256.test(a.sha256))
        .slice(0, 16)
        .map(a => ({
          name: a.name,
          sha256: a.sha256,
          phase: a.phase,
          ...(a.restarts !== undefined ? { restarts: a.restarts } : {}),
          ...(a.error ? { error: a.error.slice(0, 1024) } : {}),
        }));
    }
    let wait = false;
    if (o.certificate) {
      const c = o.certificate;
      fields.certificate = {
        fingerprintSha256: c.fingerprintSha256,
        serialNumber: c.serialNumber,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
      };
      const serials = [
        ...((pending?.certificateSerials as string[] | undefined) ??
          status.certificateSerials ??
          []),
      ];
      if (!serials.includes(c.serialNumber)) {
        // Refused before the certificate is handed out: one not on record could not be revoked.
        if (serials.length >= MAX_SERIALS_PER_DEVICE)
          throw new StateLimitError(
            `device ${device} has ${MAX_SERIALS_PER_DEVICE} certificates on record; delete and register it again`,
          );
        serials.push(c.serialNumber);
      }
      fields.certificateSerials = serials;
      // The serial is in the API before the certificate leaves the gateway.
      wait = true;
    }
    if (o.gateway !== undefined && o.phase === 'Connected') this.connectedEvent(d, status);
    if (o.phase === 'Enrolled' && o.certificate) this.enrolled++;
    if (o.phase === 'Enrolled' && o.certificate)
      this.event(
        d,
        'Enrolled',
        `certificate ${o.certificate.serialNumber} issued by gateway ${me}`,
      );
    if (o.apps) this.reportHelloApps(device, o.apps);
    if (Object.keys(fields).length === 0) return;
    const done = this.writer.report('devices', device, fields, phaseChanges || wait, wait);
    if (done) await done;
  }

  async reportApp(device: string, app: string, o: AppObservation): Promise<void> {
    this.reportDeviceApp(device, app, o);
    if (o.phase === 'Removed') return;
    const i = this.apps.instanceOf(device, app);
    if (!i) return;
    const name = i.metadata.name;
    const status = i.status ?? {};
    const pending = this.writer.pendingFields('appinstances', name);
    const before = (pending?.phase as string | undefined) ?? status.phase;
    const fields: Fields = { phase: o.phase, gateway: this.options.name };
    const changes = o.phase !== before;
    if (changes) fields.lastTransitionTime = new Date().toISOString();
    if (o.sha256 && SHA256.test(o.sha256)) fields.moduleSha256 = o.sha256;
    if (o.deployedBytes !== undefined) fields.deployedBytes = o.deployedBytes;
    if (o.restarts !== undefined) fields.restarts = o.restarts;
    if (o.error !== undefined) fields.lastError = o.error.slice(0, 1024);
    else if (o.phase === 'Running' && changes) fields.lastError = null;
    if (o.generation !== undefined) {
      fields.observedGeneration = o.generation;
      this.apps.markDelivered(name, o.generation);
    }
    const lastPhase = this.lastAppPhase.get(name);
    this.lastAppPhase.set(name, o.phase);
    if (o.phase === 'Running' && o.generation !== undefined)
      this.event(
        i,
        'Deployed',
        `module ${o.sha256?.slice(0, 12)} (generation ${o.generation}) running on ${device}`,
      );
    else if (o.phase === 'Failed' && (changes || o.error !== status.lastError)) {
      const deploying = lastPhase === 'Deploying' || lastPhase === undefined;
      this.event(
        i,
        deploying ? 'DeployFailed' : 'AppFailed',
        `${app} on ${device}: ${o.error ?? 'failed'}`,
        'Warning',
      );
    }
    this.writer.report('appinstances', name, fields, changes || o.generation !== undefined);
  }

  /**
   * Keeps Device status.apps (what the device runs) in step with each app report between two
   * hellos: an app removed from the device leaves the list, a deployed one joins it.
   */
  private reportDeviceApp(device: string, app: string, o: AppObservation): void {
    const d = this.devices.object(device);
    if (!d || !DNS_SUBDOMAIN.test(app)) return;
    const pending = this.writer.pendingFields('devices', device);
    type DeviceApp = NonNullable<NonNullable<typeof d.status>['apps']>[number];
    const before: DeviceApp[] = (pending?.apps as DeviceApp[] | undefined) ?? d.status?.apps ?? [];
    const at = before.findIndex(a => a.name === app);
    const apps = [...before];
    if (o.phase === 'Removed') {
      if (at < 0) return;
      apps.splice(at, 1);
    } else {
      const sha256 = o.sha256 ?? before[at]?.sha256;
      if (!sha256 || !SHA256.test(sha256)) return;
      const entry: DeviceApp = {
        name: app,
        sha256,
        phase: o.phase,
        ...(o.restarts !== undefined ? { restarts: o.restarts } : {}),
        ...(o.error ? { error: o.error.slice(0, 1024) } : {}),
      };
      if (at >= 0) apps[at] = entry;
      else if (apps.length < 16) apps.push(entry);
      else return;
    }
    this.writer.report('devices', device, { apps }, o.phase === 'Removed');
  }

  async recordTelemetry(device: string, sample: TelemetrySample): Promise<void> {
    const i = this.apps.instanceOf(device, sample.app);
    if (!i || !Number.isFinite(sample.value)) return;
    const name = i.metadata.name;
    const pending = this.writer.pendingFields('appinstances', name);
    const list = [
      ...((pending?.telemetry as { topic: string; value: number; time: string }[] | undefined) ??
        i.status?.telemetry ??
        []),
    ];
    const entry = {
      topic: sample.topic.slice(0, 128),
      value: sample.value,
      time: sample.receivedAt.toISOString(),
    };
    const at = list.findIndex(t => t.topic === entry.topic);
    if (at >= 0) list[at] = entry;
    else {
      // A 17th topic replaces the one heard from longest ago.
      if (list.length >= MAX_TELEMETRY_TOPICS) {
        let oldest = 0;
        list.forEach((t, k) => {
          if (t.time < list[oldest]!.time) oldest = k;
        });
        list.splice(oldest, 1);
      }
      list.push(entry);
    }
    this.writer.report('appinstances', name, { telemetry: list });
  }

  async recordLog(device: string, line: LogLine): Promise<void> {
    let ring = this.logs.get(device);
    if (!ring) {
      if (this.logs.size >= MAX_LOGGED_DEVICES || !this.devices.object(device)) return;
      this.logs.set(device, (ring = []));
    }
    ring.push(line);
    if (ring.length > LOG_LINES_PER_DEVICE) ring.shift();
  }

  subscribe(listener: (event: ControlPlaneEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- internals ----

  private emit(event: ControlPlaneEvent): void {
    if (event.kind === 'deviceDeleted') this.logs.delete(event.device);
    for (const l of this.listeners) l(event);
  }

  private currentStatus(kind: StatusKind, name: string): StatusView | null {
    const obj = kind === 'devices' ? this.devices.object(name) : this.apps.instance(name);
    if (!obj) return null;
    return {
      status: (obj.status ?? {}) as Fields,
      resourceVersion: obj.metadata.resourceVersion,
    };
  }

  /** What a connecting device says it runs, onto the AppInstances this gateway now reports. */
  private reportHelloApps(device: string, apps: NonNullable<DeviceObservation['apps']>): void {
    for (const a of apps) {
      const i = this.apps.instanceOf(device, a.name);
      if (!i) continue;
      const fields: Fields = { gateway: this.options.name, phase: a.phase };
      if (SHA256.test(a.sha256)) fields.moduleSha256 = a.sha256;
      if (a.restarts !== undefined) fields.restarts = a.restarts;
      if (a.error !== undefined) fields.lastError = a.error.slice(0, 1024);
      const name = appInstanceName(i.spec.application, device);
      const changes = (i.status?.phase ?? 'Pending') !== a.phase;
      if (changes) fields.lastTransitionTime = new Date().toISOString();
      this.writer.report('appinstances', name, fields, changes);
    }
  }

  private connectedEvent(d: Device, status: NonNullable<Device['status']>): void {
    const previous = status.gateway;
    if (previous && previous !== this.options.name && status.phase && status.phase !== 'Pending')
      this.event(
        d,
        'TakenOver',
        `gateway ${this.options.name} took the device over from gateway ${previous} (${status.phase}${HOLDING.has(status.phase) ? ', still held' : ''})`,
      );
    else this.event(d, 'Connected', `session opened at gateway ${this.options.name}`);
  }

  private event(
    obj: Device | AppInstance,
    reason: string,
    message: string,
    type: 'Normal' | 'Warning' = 'Normal',
  ): void {
    // Objects of a list carry no kind: told apart by their spec.
    const kind = 'application' in obj.spec ? 'AppInstance' : 'Device';
    this.events.record(
      { kind, name: obj.metadata.name, uid: obj.metadata.uid },
      reason,
      message,
      type,
    );
  }
}
