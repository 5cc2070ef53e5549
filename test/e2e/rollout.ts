import type { KubeObject } from '../../scripts/platform/kubeClient';

/**
 * Follows an Application's AppInstances through a watch and keeps what a rollout must honour:
 * how many instances were unavailable at once (not Running the spec they were last given, as
 * the Application controller counts them), and the order in which they came up at a revision.
 */
export class RolloutObserver {
  private readonly instances = new Map<string, KubeObject>();
  maxUnavailable = 0;
  /** Device names in the order they first ran `revision`, with the time since start. */
  readonly order: { device: string; ms: number }[] = [];
  private readonly started = Date.now();

  constructor(readonly revision: () => number | undefined) {}

  onEvent(type: string, object: KubeObject): void {
    if (type === 'DELETED') this.instances.delete(object.metadata.name);
    else if (type === 'ADDED' || type === 'MODIFIED')
      this.instances.set(object.metadata.name, object);
    else return;
    const unavailable = [...this.instances.values()].filter(i => !available(i)).length;
    this.maxUnavailable = Math.max(this.maxUnavailable, unavailable);
    const revision = this.revision();
    if (revision === undefined) return;
    for (const i of this.instances.values()) {
      const device = String(i.spec?.device);
      if (
        available(i) &&
        Number(i.spec?.revision) === revision &&
        !this.order.some(o => o.device === device)
      )
        this.order.push({ device, ms: Date.now() - this.started });
    }
  }

  unavailableNow(): number {
    return [...this.instances.values()].filter(i => !available(i)).length;
  }
}

/** Running the spec it was last given: phase Running and observedGeneration == generation. */
export function available(i: KubeObject): boolean {
  return i.status?.phase === 'Running' && i.status?.observedGeneration === i.metadata.generation;
}
