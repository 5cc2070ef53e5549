import { createHash, timingSafeEqual } from 'node:crypto';
import { readTextIfExists, writeSecretFile } from '../pki/secretFiles';
import type {
  AppObservation,
  ControlPlane,
  ControlPlaneEvent,
  DesiredApp,
  DeviceObservation,
  DeviceRecord,
  LogLine,
  TelemetrySample,
  TokenVerdict,
} from './types';

interface StoredDevice extends DeviceRecord {
  token?: { sha256: string; expiresAt: number; usedAt?: number };
  serials: string[];
  desired: Map<string, DesiredApp>;
  observed: DeviceObservation;
  appObservations: Map<string, AppObservation>;
  telemetry: TelemetrySample[];
  logs: LogLine[];
}

export interface DeviceRegistration {
  name: string;
  board?: string;
  token?: string;
  tokenTtlMs?: number;
  pinnedPublicKeyPem?: string;
}

const RECENT_SAMPLES = 256;
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The control plane of a standalone gateway, in process: devices, their tokens and desired
 * apps, and what the gateway observed. With a state file it survives restarts (tokens are
 * kept as hashes). The API server replaces it in the full platform.
 */
export class EmbeddedControlPlane implements ControlPlane {
  private devices = new Map<string, StoredDevice>();
  private listeners = new Set<(event: ControlPlaneEvent) => void>();
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stateFile?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (stateFile) this.load(stateFile);
  }

  registerDevice(registration: DeviceRegistration): void {
    const existing = this.devices.get(registration.name);
    const device: StoredDevice = existing ?? {
      name: registration.name,
      revoked: false,
      serials: [],
      desired: new Map(),
      observed: {},
      appObservations: new Map(),
      telemetry: [],
      logs: [],
    };
    device.board = registration.board ?? device.board;
    device.pinnedPublicKeyPem = registration.pinnedPublicKeyPem;
    device.token = registration.token
      ? {
          sha256: hashToken(registration.token),
          expiresAt: this.now() + (registration.tokenTtlMs ?? 3_600_000),
        }
      : undefined;
    this.devices.set(device.name, device);
    this.save();
  }

  revokeDevice(name: string): void {
    const device = this.require(name);
    device.revoked = true;
    this.save();
    this.emit({ kind: 'deviceRevoked', device: name });
  }

  deleteDevice(name: string): void {
    if (!this.devices.has(name)) return;
    // The serials stay known so the gateway can still revoke them after the device is gone.
    this.deleted.set(name, this.require(name).serials);
    this.devices.delete(name);
    this.save();
    this.emit({ kind: 'deviceDeleted', device: name });
  }
  private deleted = new Map<string, string[]>();

  setDesiredApp(device: string, app: DesiredApp): void {
    this.require(device).desired.set(app.name, app);
    this.save();
    this.emit({ kind: 'desiredAppsChanged', device });
  }

  removeDesiredApp(device: string, app: string): void {
    if (this.require(device).desired.delete(app)) {
      this.save();
      this.emit({ kind: 'desiredAppsChanged', device });
    }
  }

  deviceNames(): string[] {
    return [...this.devices.keys()];
  }

  observed(device: string): DeviceObservation | undefined {
    return this.devices.get(device)?.observed;
  }

  appObservation(device: string, app: string): AppObservation | undefined {
    return this.devices.get(device)?.appObservations.get(app);
  }

  /** What the gateway last observed of each of the device's apps, by app name. */
  appObservations(device: string): Record<string, AppObservation> {
    return Object.fromEntries(this.devices.get(device)?.appObservations ?? []);
  }

  telemetry(device: string): TelemetrySample[] {
    return this.devices.get(device)?.telemetry ?? [];
  }

  logs(device: string): LogLine[] {
    return this.devices.get(device)?.logs ?? [];
  }

  // ---- ControlPlane ----

  async getDevice(name: string): Promise<DeviceRecord | undefined> {
    const d = this.devices.get(name);
    return (
      d && {
        name: d.name,
        board: d.board,
        pinnedPublicKeyPem: d.pinnedPublicKeyPem,
        revoked: d.revoked,
      }
    );
  }

  async redeemBootstrapToken(device: string, token: string): Promise<TokenVerdict> {
    const d = this.devices.get(device);
    if (!d?.token) return 'tokenInvalid';
    const given = Buffer.from(hashToken(token), 'hex');
    if (!timingSafeEqual(given, Buffer.from(d.token.sha256, 'hex'))) return 'tokenInvalid';
    if (d.token.usedAt !== undefined) return 'tokenUsed';
    if (this.now() > d.token.expiresAt) return 'tokenExpired';
    d.token.usedAt = this.now();
    this.save();
    return 'ok';
  }

  async certificateSerials(device: string): Promise<string[]> {
    return this.devices.get(device)?.serials ?? this.deleted.get(device) ?? [];
  }

  async desiredApps(device: string): Promise<DesiredApp[]> {
    return [...(this.devices.get(device)?.desired.values() ?? [])];
  }

  async reportDevice(device: string, observation: DeviceObservation): Promise<void> {
    const d = this.devices.get(device);
    if (!d) return;
    Object.assign(d.observed, observation);
    if (observation.certificate && !d.serials.includes(observation.certificate.serialNumber)) {
      d.serials.push(observation.certificate.serialNumber);
      this.save();
    }
  }

  async reportApp(device: string, app: string, observation: AppObservation): Promise<void> {
    this.devices.get(device)?.appObservations.set(app, { ...observation });
  }

  async recordTelemetry(device: string, sample: TelemetrySample): Promise<void> {
    pushBounded(this.devices.get(device)?.telemetry, sample);
  }

  async recordLog(device: string, line: LogLine): Promise<void> {
    pushBounded(this.devices.get(device)?.logs, line);
  }

  subscribe(listener: (event: ControlPlaneEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes pending state now (the gateway calls it on shutdown). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.stateFile) return;
    // Modules are kept once by hash: a fleet-wide deploy shares one module among all devices.
    const modules: Record<string, string> = {};
    const devices = [...this.devices.values()].map(d => ({
      name: d.name,
      board: d.board,
      pinnedPublicKeyPem: d.pinnedPublicKeyPem,
      revoked: d.revoked,
      token: d.token,
      serials: d.serials,
      desired: [...d.desired.values()].map(({ module, ...app }) => {
        modules[app.sha256] ??= Buffer.from(module).toString('base64');
        return app;
      }),
    }));
    writeSecretFile(
      this.stateFile,
      JSON.stringify({ devices, modules, deleted: [...this.deleted] }, null, 1),
    );
  }

  private save(): void {
    // Enrollment storms would otherwise rewrite the file once per device.
    if (this.stateFile && !this.saveTimer) this.saveTimer = setTimeout(() => this.flush(), 100);
  }

  private load(file: string): void {
    const text = readTextIfExists(file);
    if (!text) return;
    const state = JSON.parse(text) as {
      devices: (DeviceRecord & {
        token?: StoredDevice['token'];
        serials: string[];
        desired?: Omit<DesiredApp, 'module'>[];
      })[];
      modules?: Record<string, string>;
      deleted?: [string, string[]][];
    };
    const modules = new Map<string, Uint8Array>();
    const moduleFor = (sha256: string): Uint8Array => {
      let bytes = modules.get(sha256);
      if (!bytes) {
        const base64 = state.modules?.[sha256];
        if (base64 === undefined) throw new Error(`${file}: no module with sha256 ${sha256}`);
        bytes = new Uint8Array(Buffer.from(base64, 'base64'));
        if (createHash('sha256').update(bytes).digest('hex') !== sha256)
          throw new Error(`${file}: module ${sha256} does not match its hash`);
        modules.set(sha256, bytes);
      }
      return bytes;
    };
    for (const { desired = [], ...d } of state.devices) {
      this.devices.set(d.name, {
        ...d,
        desired: new Map(desired.map(app => [app.name, { ...app, module: moduleFor(app.sha256) }])),
        observed: {},
        appObservations: new Map(),
        telemetry: [],
        logs: [],
      });
    }
    this.deleted = new Map(state.deleted ?? []);
  }

  private require(name: string): StoredDevice {
    const d = this.devices.get(name);
    if (!d) throw new Error(`no device named ${name}`);
    return d;
  }

  private emit(event: ControlPlaneEvent): void {
    for (const l of this.listeners) l(event);
  }
}

function pushBounded<T>(list: T[] | undefined, item: T): void {
  if (!list) return;
  list.push(item);
  if (list.length > RECENT_SAMPLES) list.splice(0, list.length - RECENT_SAMPLES);
}
