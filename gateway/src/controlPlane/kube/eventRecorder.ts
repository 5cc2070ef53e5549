import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../../metrics';
import { TokenBucket } from '../../session/tokenBucket';
import { type KubeApi, paths } from './kubeApi';

export interface InvolvedObject {
  kind: 'Device' | 'AppInstance' | 'Gateway';
  name: string;
  uid?: string;
}

/** Events in flight at once; more are dropped (and counted) rather than queued. */
const MAX_IN_FLIGHT = 16;

/**
 * core/v1 Events about the fleet's objects, so `kubectl describe device X` says what happened
 * to it. Rate limited by a token bucket (default 10/s, bursts of 50): at a fleet-wide failover
 * the excess is dropped and counted, never queued against the API server.
 */
export class EventRecorder {
  private readonly bucket: TokenBucket;
  private inFlight = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly component: string,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    perSecond = 10,
    burst = 50,
  ) {
    this.bucket = new TokenBucket(perSecond, burst);
  }

  record(
    object: InvolvedObject,
    reason: string,
    message: string,
    type: 'Normal' | 'Warning' = 'Normal',
  ): void {
    if (this.inFlight >= MAX_IN_FLIGHT || !this.bucket.take()) {
      this.metrics.events.inc({ outcome: 'dropped' });
      return;
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${object.name}.${randomBytes(8).toString('hex')}`,
        namespace: this.namespace,
      },
      involvedObject: {
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: object.kind,
        name: object.name,
        namespace: this.namespace,
        ...(object.uid ? { uid: object.uid } : {}),
      },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.inFlight++;
    this.api
      .request('POST', paths.core(this.namespace, 'events'), event)
      .then(
        () => this.metrics.events.inc({ outcome: 'recorded' }),
        (err: Error) => {
          this.metrics.events.inc({ outcome: 'failed' });
          this.log.debug({ reason, object: object.name, err: err.message }, 'event not recorded');
        },
      )
      .finally(() => this.inFlight--);
  }
}
