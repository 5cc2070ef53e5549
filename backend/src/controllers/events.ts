import type { KubeClient } from './kubeClient';
import type { KubeObject } from './informer';

/**
 * Records core/v1 Events about objects, so `kubectl describe` says why things happened.
 * Two bounds keep a fleet from flooding the API: a token bucket over all events (burst 50,
 * 10 a second; the excess is dropped and counted in `dropped`), and aggregation: the same
 * reason and message about the same object within ten minutes patches the existing Event's
 * count and lastTimestamp instead of creating another (as client-go's correlator does).
 */

export type EventType = 'Normal' | 'Warning';

const BURST = 50;
const PER_SECOND = 10;
const AGGREGATE_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;

interface Remembered {
  name: string;
  count: number;
  first: string;
  at: number;
}

export class EventRecorder {
  private tokens = BURST;
  private refilledAt = Date.now();
  private readonly recent = new Map<string, Remembered>();
  private sequence = 0;
  dropped = 0;
  failed = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log?: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1000) * PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Fire and forget: an Event that cannot be written is logged, never fails a reconcile. */
  record(
    obj: KubeObject & { apiVersion: string; kind: string },
    type: EventType,
    reason: string,
    message: string,
  ): void {
    if (!this.take()) {
      this.dropped++;
      return;
    }
    void this.write(obj, type, reason, message.slice(0, 1024)).catch(error => {
      this.failed++;
      this.log?.('event not recorded', { reason, object: obj.metadata.name, error: String(error) });
    });
  }

  private async write(
    obj: KubeObject & { apiVersion: string; kind: string },
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const base = `/api/v1/namespaces/${namespace}/events`;
    const key = `${obj.metadata.uid ?? obj.metadata.name}\u0000${type}\u0000${reason}\u0000${message}`;
    const now = new Date();
    const time = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = this.recent.get(key);
    if (seen && now.getTime() - seen.at < AGGREGATE_MS) {
      seen.count++;
      seen.at = now.getTime();
      try {
        await this.client.mergePatch(`${base}/${seen.name}`, {
          count: seen.count,
          lastTimestamp: time,
        });
        return;
      } catch {
        // The Event was deleted (or never landed): write a new one below.
        this.recent.delete(key);
      }
    }
    const name = `${obj.metadata.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16)}`;
    await this.client.create(base, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.component },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.component,
    });
    if (this.recent.size >= MAX_REMEMBERED) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.delete(key);
    this.recent.set(key, { name, count: 1, first: time, at: now.getTime() });
  }
}
