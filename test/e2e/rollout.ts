import type { KubeObject } from '../../scripts/platform/kubeClient';

/**
 * Follows an Application's AppInstances through a watch and keeps what a rollout must honour:
 * how many instances were unavailable at once (not Running the spec they were last given, as
 * the Application controller counts them), and when each device first ran each revision.
 */
export class RolloutObserver {
  private readonly instances = new Map<string, KubeObject>();
  maxUnavailable = 0;
  /** `device@revision` → ms since the start when the device first ran that revision. */
  private readonly firstRunning = new Map<string, number>();
  private readonly started = Date.now();

  onEvent(type: string, object: KubeObject): void {
    if (type === 'DELETED') this.instances.delete(object.metadata.name);
    else if (type === 'ADDED' || type === 'MODIFIED')
      this.instances.set(object.metadata.name, object);
    else return;
    const unavailable = [...this.instances.values()].filter(i => !available(i)).length;
    this.maxUnavailable = Math.max(this.maxUnavailable, unavailable);
    for (const i of this.instances.values()) {
      const key = `${String(i.spec?.device)}@${Number(i.spec?.revision)}`;
      if (available(i) && !this.firstRunning.has(key))
        this.firstRunning.set(key, Date.now() - this.started);
    }
  }

  /** The devices running `revision`, in the order they came up, with the time. */
  order(revision: number): { device: string; ms: number }[] {
    return [...this.firstRunning]
      .filter(([key]) => key.endsWith(`@${revision}`))
      .map(([key, ms]) => ({ device: key.slice(0, key.lastIndexOf('@')), ms }))
      .sort((a, b) => a.ms - b.ms);
  }
}

/** Running the spec it was last given: phase Running and observedGeneration == generation. */
export function available(i: KubeObject): boolean {
  return i.status?.phase === 'Running' && i.status?.observedGeneration === i.metadata.generation;
}
