import { isConflict, isNotFound } from './kubeClient';
import type { WorkQueue } from './workQueue';

/**
 * Runs one reconciler over its work queue with a few workers. The reconciler is level-based:
 * given a key it reads the cached state, acts, and may ask to be called again after a while
 * (a time-based requeue, such as a lease's expiry). A 409 Conflict (a stale read met a newer
 * write) or a 404 requeues through the backoff quietly; any other error is logged and retried.
 */

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export class Controller {
  private workers: Promise<void>[] = [];
  reconciles = 0;
  errors = 0;

  constructor(
    readonly name: string,
    readonly queue: WorkQueue,
    private readonly reconcile: Reconcile,
    private readonly log: Log,
  ) {}

  start(workers: number): void {
    for (let i = 0; i < workers; i++) this.workers.push(this.work());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        this.reconciles++;
        const result = await this.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        // A conflict (a newer write) or a 404 (the object went meanwhile) is the normal
        // race of a level-based controller: the next pass sees the newer state.
        if (!isConflict(error) && !isNotFound(error)) {
          this.errors++;
          this.log(`${this.name}: reconcile failed; retrying`, { key, error: String(error) });
        }
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
