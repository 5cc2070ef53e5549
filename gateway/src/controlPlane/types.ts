/**
 * What the gateway needs from the control plane, and what it tells it. The API server will
 * implement this over its store; JournalControlPlaneFixture implements it in process.
 */

export interface DeviceRecord {
  name: string;
  board?: string;
  /** PEM SubjectPublicKeyInfo the device must enroll with, instead of a token. */
  pinnedPublicKeyPem?: string;
  revoked: boolean;
}

/** Certificates on record per device; each renewal adds one, and revocation needs them all. */
export const MAX_SERIALS_PER_DEVICE = 64;
/** Apps per device, desired or reported (a device holds a handful of slots). */
export const MAX_APPS_PER_DEVICE = 32;

/** A per-device bound on kept state was reached; the message says which and what to do. */
export class StateLimitError extends Error {
  override readonly name = 'StateLimitError';
}

export type TokenVerdict = 'ok' | 'tokenInvalid' | 'tokenExpired' | 'tokenUsed';

export interface AppLimits {
  memoryBytes: number;
  fuelPerActivation: number;
  periodMs?: number;
  maxRestarts?: number;
}

/** An app that should run on a device: the module bytes and how to run them. */
export interface DesiredApp {
  name: string;
  module: Uint8Array;
  sha256: string;
  config?: Record<string, string>;
  limits?: AppLimits;
  /** false: installed but stopped. */
  running: boolean;
  /**
   * Version of this app's spec (module, config, limits), when the control plane tracks one,
   * and the version the device was last given. A device that runs the right module but was
   * given another version (say, other config) gets the app again; one that was given this
   * version keeps it (a device taken over from another gateway is not re-sent its apps).
   */
  generation?: number;
  deliveredGeneration?: number;
  /** Why the module cannot be had (e.g. its digest does not match): the app is reported Failed and what the device holds is left alone. */
  problem?: string;
}

export type ObservedAppPhase = 'Deploying' | 'Running' | 'Stopped' | 'Failed';

export interface DeviceObservation {
  phase?: 'Enrolling' | 'Enrolled' | 'Connected' | 'Disconnected' | 'Unreachable';
  gateway?: string;
  lastHeartbeat?: Date;
  firmwareVersion?: string;
  board?: string;
  capabilities?: {
    hostApiVersion: number;
    memoryBytes: number;
    maxModuleBytes: number;
    maxApps: number;
    hostFunctions: readonly string[];
  };
  certificate?: {
    serialNumber: string;
    fingerprintSha256: string;
    notBefore: Date;
    notAfter: Date;
  };
  apps?: {
    name: string;
    sha256: string;
    phase: ObservedAppPhase;
    restarts?: number;
    error?: string;
  }[];
}

export interface AppObservation {
  phase: ObservedAppPhase | 'Removed';
  sha256?: string;
  error?: string;
  /** Bytes the device acknowledged, during a deploy. */
  deployedBytes?: number;
  /** Times the device restarted the app after a trap (limits.maxRestarts). */
  restarts?: number;
  /** Set when a deploy committed: the DesiredApp.generation the device now holds. */
  generation?: number;
}

export interface TelemetrySample {
  app: string;
  topic: string;
  value: number;
  deviceTimeMs: number;
  receivedAt: Date;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  app?: string;
  receivedAt: Date;
}

export type ControlPlaneEvent =
  | { kind: 'deviceRevoked'; device: string }
  | { kind: 'deviceDeleted'; device: string }
  | { kind: 'desiredAppsChanged'; device: string }
  /** The fleet's revocation list changed: these serials (all of them) are revoked. */
  | { kind: 'revocationsChanged'; serials: string[] };

export interface ControlPlane {
  getDevice(name: string): Promise<DeviceRecord | undefined>;
  /** Checks and consumes a one-time bootstrap token, atomically. */
  redeemBootstrapToken(device: string, token: string): Promise<TokenVerdict>;
  /** Serial numbers of every certificate issued to a device, for revocation. */
  certificateSerials(device: string): Promise<string[]>;
  desiredApps(device: string): Promise<DesiredApp[]>;
  reportDevice(device: string, observation: DeviceObservation): Promise<void>;
  reportApp(device: string, app: string, observation: AppObservation): Promise<void>;
  recordTelemetry(device: string, sample: TelemetrySample): Promise<void>;
  recordLog(device: string, line: LogLine): Promise<void>;
  subscribe(listener: (event: ControlPlaneEvent) => void): () => void;
  /** Serials already revoked fleet-wide, loaded into the CRL before the gateway listens. */
  revokedSerials?(): Promise<string[]>;
}
