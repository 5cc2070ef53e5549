import {
  GATEWAY_LEASE_RENEW_MS,
  GATEWAY_LEASE_SECONDS,
  gatewayLeaseName,
  type GatewayStatus,
} from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../../metrics';
import { type KubeApi, KubeApiError, paths, statusOf } from './kubeApi';

export interface GatewayIdentity {
  name: string;
  namespace: string;
  /** HOST:PORT devices dial. */
  endpoint: string;
  enrollEndpoint: string;
  adminPort: number;
  capacity: number;
  heartbeatTimeoutSeconds: number;
}

interface Lease {
  metadata: { name: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Gateway status is written at most this often, and once a minute even when unchanged. */
const STATUS_MIN_INTERVAL_MS = 5_000;
const STATUS_REFRESH_MS = 60_000;

/** kube's MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * The gateway's presence in the API: its Gateway object (created, or updated when its
 * endpoint or capacity changed), its Lease renewed every GATEWAY_LEASE_RENEW_MS with a
 * resourceVersion-guarded update (the Device controller declares a gateway lost once its Lease
 * expires), and its Gateway status (phase, sessions, endpoints) when it changes.
 */
export class Registration {
  private lease: Lease | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastRenewedMs = 0;
  private lostLogged = false;
  private lastStatus = '';
  private lastStatusMs = 0;
  private counts: () => { connected: number; enrolled: number } = () => ({
    connected: 0,
    enrolled: 0,
  });

  constructor(
    private readonly api: KubeApi,
    private readonly id: GatewayIdentity,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  /** Registers the Gateway and takes the Lease; resolves once both are in the API. */
  async start(): Promise<void> {
    await this.registerGateway();
    await this.renew();
    if (!this.lastRenewedMs) throw new Error(`could not take Lease ${this.leaseName}`);
    this.renewTimer = setInterval(() => void this.renew(), GATEWAY_LEASE_RENEW_MS);
    this.renewTimer.unref();
  }

  /** Starts writing Gateway status from these counts (once the listeners are up). */
  reportFrom(counts: () => { connected: number; enrolled: number }): void {
    this.counts = counts;
    void this.writeStatus('Ready');
    this.statusTimer = setInterval(() => void this.writeStatus('Ready'), STATUS_MIN_INTERVAL_MS);
    this.statusTimer.unref();
  }

  get leaseName(): string {
    return gatewayLeaseName(this.id.name);
  }

  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    clearInterval(this.statusTimer);
    await this.writeStatus('NotReady', true).catch(() => {});
  }

  private async registerGateway(): Promise<void> {
    const { name, namespace } = this.id;
    const spec = {
      endpoint: this.id.endpoint,
      tlsPort: Number(this.id.endpoint.split(':').pop()),
      adminPort: this.id.adminPort,
      capacity: this.id.capacity,
      heartbeatTimeoutSeconds: this.id.heartbeatTimeoutSeconds,
    };
    const body = {
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Gateway',
      metadata: { name, namespace },
      spec,
    };
    try {
      await this.api.request('POST', paths.wasmbed(namespace, 'gateways'), body);
      this.log.info({ gateway: name }, 'Gateway registered');
      return;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    const existing = await this.api.get<{ spec?: Record<string, unknown> }>(
      paths.wasmbed(namespace, 'gateways', name),
    );
    const changed = Object.entries(spec).some(([k, v]) => existing.spec?.[k] !== v);
    if (!changed) return;
    try {
      await this.api.request(
        'PATCH',
        paths.wasmbed(namespace, 'gateways', name),
        { spec },
        'application/merge-patch+json',
      );
    } catch (err) {
      // A gateway identity may create its Gateway but not change its spec: say so, go on.
      this.log.warn(
        { gateway: name, err: (err as Error).message, spec },
        'Gateway spec differs from this process and could not be updated',
      );
    }
  }

  private async renew(): Promise<void> {
    const { namespace, name } = this.id;
    const now = new Date();
    try {
      if (!this.lease)
        this.lease = await this.api.find<Lease>(paths.lease(namespace, this.leaseName));
      const spec = {
        holderIdentity: name,
        leaseDurationSeconds: GATEWAY_LEASE_SECONDS,
        renewTime: microTime(now),
      };
      if (!this.lease) {
        this.lease = await this.api.request<Lease>('POST', paths.lease(namespace), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.leaseName, namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
      } else {
        const taken = this.lease.spec?.holderIdentity !== name;
        this.lease = await this.api.request<Lease>('PUT', paths.lease(namespace, this.leaseName), {
          ...this.lease,
          spec: {
            ...this.lease.spec,
            ...spec,
            ...(taken
              ? {
                  acquireTime: microTime(now),
                  leaseTransitions: (this.lease.spec?.leaseTransitions ?? 0) + 1,
                }
              : {}),
          },
        });
      }
      this.metrics.leaseRenewals.inc({ outcome: 'ok' });
      if (this.lostLogged) this.log.warn({ lease: this.leaseName }, 'Lease renewed again');
      this.lastRenewedMs = now.getTime();
      this.lostLogged = false;
    } catch (err) {
      this.metrics.leaseRenewals.inc({ outcome: 'failed' });
      // 409: someone wrote it since our read; read it again at the next renewal.
      if (err instanceof KubeApiError && (err.status === 409 || err.status === 404))
        this.lease = undefined;
      const sinceMs = now.getTime() - this.lastRenewedMs;
      if (this.lastRenewedMs && sinceMs > GATEWAY_LEASE_SECONDS * 1000 && !this.lostLogged) {
        this.lostLogged = true;
        this.log.error(
          { lease: this.leaseName, sinceMs, err: (err as Error).message },
          "LEASE EXPIRED: not renewed for a whole lease period; the platform may hand this gateway's devices to another",
        );
      } else {
        this.log.warn({ lease: this.leaseName, err: (err as Error).message }, 'Lease not renewed');
      }
    }
  }

  private async writeStatus(phase: 'Ready' | 'NotReady', force = false): Promise<void> {
    const { connected, enrolled } = this.counts();
    const status: GatewayStatus = {
      phase,
      connectedDevices: connected,
      enrolledDevices: enrolled,
      capacity: this.id.capacity,
      endpoints: { devices: this.id.endpoint, enrollment: this.id.enrollEndpoint },
    };
    const key = JSON.stringify(status);
    const now = Date.now();
    if (!force && key === this.lastStatus && now - this.lastStatusMs < STATUS_REFRESH_MS) return;
    try {
      await this.api.request(
        'PATCH',
        `${paths.wasmbed(this.id.namespace, 'gateways', this.id.name)}/status`,
        { status: { ...status, lastSeen: new Date(now).toISOString() } },
        'application/merge-patch+json',
      );
      this.lastStatus = key;
      this.lastStatusMs = now;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Gateway status not written');
    }
  }
}
