import { createHash, timingSafeEqual } from 'node:crypto';
import { StateJournal } from './stateJournal';
import {
  MAX_APPS_PER_DEVICE,
  MAX_SERIALS_PER_DEVICE,
  StateLimitError,
  type AppObservation,
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

/** What the state file keeps of a device: never observations, telemetry or logs. */
type PersistedDevice = DeviceRecord & {
  token?: StoredDevice['token'];
  serials: string[];
  desired?: Omit<DesiredApp, 'module'>[];
};

/** One journaled change: a device's persisted record as it now is, or its deletion. */
type Change =
  | { device: PersistedDevice; modules?: Record<string, string> }
  | { deleted: string; serials: string[] };

interface Snapshot {
  devices: PersistedDevice[];
  modules?: Record<string, string>;
  deleted?: [string, string[]][];
}

const RECENT_SAMPLES = 256;
export { MAX_APPS_PER_DEVICE, MAX_SERIALS_PER_DEVICE };
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The control plane of a standalone gateway, in process: devices, their tokens and desired
 * apps, and what the gateway observed. With a state file it survives restarts (tokens are
 * kept as hashes): every change to what is kept is journaled (StateJournal), and the calls
 * whose answer leaves the gateway (a redeemed token, a certificate's serial) resolve only once
 * their change is on disk. Observations are not kept, so heartbeats never touch the disk.
 * The API server replaces it in the full platform.
 */
export class EmbeddedControlPlane implements ControlPlane {
  private devices = new Map<string, StoredDevice>();
  private listeners = new Set<(event: ControlPlaneEvent) => void>();
  private readonly journal: StateJournal<Change> | undefined;
  /** Modules the snapshot or the journal already holds; each is written once. */
  private storedModules = new Set<string>();

  constructor(
    stateFile?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (stateFile) {
      this.journal = new StateJournal<Change>(stateFile);
      this.load(this.journal);
    }
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
    this.persist(device);
  }

  revokeDevice(name: string): void {
    const device = this.require(name);
    device.revoked = true;
    this.persist(device);
    this.emit({ kind: 'deviceRevoked', device: name });
  }

  deleteDevice(name: string): void {
    if (!this.devices.has(name)) return;
    // The serials stay known so the gateway can still revoke them after the device is gone.
    const serials = this.require(name).serials;
    this.deleted.set(name, serials);
    this.devices.delete(name);
    this.record({ deleted: name, serials });
    this.emit({ kind: 'deviceDeleted', device: name });
  }
  private deleted = new Map<string, string[]>();

  setDesiredApp(device: string, app: DesiredApp): void {
    const d = this.require(device);
    if (!d.desired.has(app.name) && d.desired.size >= MAX_APPS_PER_DEVICE)
      throw new StateLimitError(`device ${device} already has ${MAX_APPS_PER_DEVICE} apps`);
    d.desired.set(app.name, app);
    this.persist(d);
    this.emit({ kind: 'desiredAppsChanged', device });
  }

  removeDesiredApp(device: string, app: string): void {
    const d = this.require(device);
    if (d.desired.delete(app)) {
      this.persist(d);
      this.emit({ kind: 'desiredAppsChanged', device });
    }
  }

  /** Resolves once every change made so far is on disk (answers wait for it). */
  committed(): Promise<void> {
    return this.journal?.committed() ?? Promise.resolve();
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
    // Spent on disk before the answer: a crash after it must not un-spend the token.
    await this.persist(d);
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
    const serial = observation.certificate?.serialNumber;
    if (serial !== undefined && !d.serials.includes(serial)) {
      // Refused before it is issued to the device: a certificate not on record could never be
      // revoked, and the record cannot grow without end.
      if (d.serials.length >= MAX_SERIALS_PER_DEVICE)
        throw new StateLimitError(
          `device ${device} has ${MAX_SERIALS_PER_DEVICE} certificates on record; delete and register it again`,
        );
      d.serials.push(serial);
      Object.assign(d.observed, observation);
      // On disk before the certificate leaves the gateway, so a CRL can always name it.
      await this.persist(d);
      return;
    }
    Object.assign(d.observed, observation);
  }

  async reportApp(device: string, app: string, observation: AppObservation): Promise<void> {
    const apps = this.devices.get(device)?.appObservations;
    if (!apps) return;
    if (!apps.has(app) && apps.size >= MAX_APPS_PER_DEVICE)
      throw new StateLimitError(`device ${device} reports more than ${MAX_APPS_PER_DEVICE} apps`);
    apps.set(app, { ...observation });
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

  /** Folds the journal into a fresh snapshot now (the gateway calls it on shutdown). */
  flush(): void {
    if (!this.journal) return;
    const snapshot = this.snapshot();
    this.journal.compact(snapshot);
    this.storedModules = new Set(Object.keys(snapshot.modules ?? {}));
  }

  /** Journals a device's persisted record; resolves once it is on disk. */
  private persist(d: StoredDevice): Promise<void> {
    if (!this.journal) return Promise.resolve();
    const modules: Record<string, string> = {};
    const device = persisted(d, (sha256, module) => {
      if (this.storedModules.has(sha256)) return;
      this.storedModules.add(sha256);
      modules[sha256] = Buffer.from(module).toString('base64');
    });
    return this.record(Object.keys(modules).length ? { device, modules } : { device });
  }

  private record(change: Change): Promise<void> {
    if (!this.journal) return Promise.resolve();
    const written = this.journal.append(change);
    // Callers that do not wait (admin changes) learn of a failed write from committed().
    written.catch(() => {});
    // Folding the journal costs a write of the whole fleet: done once per fleet-size changes,
    // so it adds a constant per change however large the fleet grows.
    if (this.journal.journalLength > Math.max(1024, 2 * this.devices.size)) this.flush();
    return written;
  }

  private snapshot(): Snapshot {
    // Modules are kept once by hash: a fleet-wide deploy shares one module among all devices.
    const modules: Record<string, string> = {};
    const devices = [...this.devices.values()].map(d =>
      persisted(d, (sha256, module) => {
        modules[sha256] ??= Buffer.from(module).toString('base64');
      }),
    );
    return { devices, modules, deleted: [...this.deleted] };
  }

  private load(journal: StateJournal<Change>): void {
    const file = journal.file;
    const { snapshot, records } = journal.load<Snapshot>();
    const encoded = new Map<string, string>(Object.entries(snapshot?.modules ?? {}));
    for (const r of records) {
      if ('device' in r) for (const [k, v] of Object.entries(r.modules ?? {})) encoded.set(k, v);
    }
    this.storedModules = new Set(encoded.keys());
    const modules = new Map<string, Uint8Array>();
    const moduleFor = (sha256: string): Uint8Array => {
      let bytes = modules.get(sha256);
      if (!bytes) {
        const base64 = encoded.get(sha256);
        if (base64 === undefined) throw new Error(`${file}: no module with sha256 ${sha256}`);
        bytes = new Uint8Array(Buffer.from(base64, 'base64'));
        if (createHash('sha256').update(bytes).digest('hex') !== sha256)
          throw new Error(`${file}: module ${sha256} does not match its hash`);
        modules.set(sha256, bytes);
      }
      return bytes;
    };
    const restore = ({ desired = [], ...d }: PersistedDevice): StoredDevice => ({
      ...d,
      desired: new Map(desired.map(app => [app.name, { ...app, module: moduleFor(app.sha256) }])),
      observed: {},
      appObservations: new Map(),
      telemetry: [],
      logs: [],
    });
    for (const d of snapshot?.devices ?? []) this.devices.set(d.name, restore(d));
    this.deleted = new Map(snapshot?.deleted ?? []);
    for (const r of records) {
      if ('deleted' in r) {
        this.devices.delete(r.deleted);
        this.deleted.set(r.deleted, r.serials);
      } else this.devices.set(r.device.name, restore(r.device));
    }
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

function persisted(
  d: StoredDevice,
  onModule: (sha256: string, module: Uint8Array) => void,
): PersistedDevice {
  return {
    name: d.name,
    board: d.board,
    pinnedPublicKeyPem: d.pinnedPublicKeyPem,
    revoked: d.revoked,
    token: d.token && { ...d.token },
    serials: [...d.serials],
    desired: [...d.desired.values()].map(({ module, ...app }) => {
      onModule(app.sha256, module);
      return app;
    }),
  };
}

function pushBounded<T>(list: T[] | undefined, item: T): void {
  if (!list) return;
  list.push(item);
  if (list.length > RECENT_SAMPLES) list.splice(0, list.length - RECENT_SAMPLES);
}
