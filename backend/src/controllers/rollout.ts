import { createHash } from 'node:crypto';
import type {
  AppInstance,
  AppInstanceSpec,
  Application,
  ApplicationStatus,
  Device,
} from '@wasmbed/plugin-wasmbed-common';
import type { ConditionInput } from './conditions';
import { sameJson } from './conditions';
import type { ResolvedModule } from './moduleResolver';

/**
 * The pure part of the Application controller: which devices an Application targets, what
 * each AppInstance's spec should be, which instances move to a new revision in this pass
 * (the batch) and the status that follows from the instances. No I/O here, so every rule is
 * tested without a server (`rollout.test.ts`).
 */

const LABEL_RE = /^[^=!]+$/;

/** The devices an Application runs on: existing, not revoked, not being deleted. */
export function targetDevices(app: Application, devices: Iterable<Device>): Device[] {
  const t = app.spec.target;
  const named = t.devices ? new Set(t.devices) : undefined;
  const out: Device[] = [];
  for (const d of devices) {
    if (d.metadata.namespace !== app.metadata.namespace) continue;
    if (d.spec.revoked || d.metadata.deletionTimestamp) continue;
    if (named && !named.has(d.metadata.name)) continue;
    if (t.selector && !matchesSelector(t.selector, d.metadata.labels ?? {})) continue;
    out.push(d);
  }
  return out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

export function matchesSelector(
  selector: NonNullable<Application['spec']['target']['selector']>,
  labels: Record<string, string>,
): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    if (!LABEL_RE.test(e.key)) return false;
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * What makes a revision: the module's digest, config, limits and activation. The target and
 * the rollout parameters are not part of it (adding a device is not a new revision).
 */
export function templateHash(app: Application, module: ResolvedModule): string {
  const template = {
    module: module.sha256,
    config: app.spec.config ?? null,
    limits: app.spec.limits ?? null,
    activation: app.spec.activation ?? null,
  };
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 16);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter(k => (v as Record<string, unknown>)[k] !== undefined)
      .map(k => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function instanceSpec(
  app: Application,
  device: string,
  revision: number,
  module: ResolvedModule,
): AppInstanceSpec {
  return {
    application: app.metadata.name,
    device,
    revision,
    module: { sha256: module.sha256, bytes: module.bytes, configMap: module.configMap },
    ...(app.spec.config ? { config: app.spec.config } : {}),
    ...(app.spec.limits ? { limits: app.spec.limits } : {}),
    ...(app.spec.activation ? { activation: app.spec.activation } : {}),
  };
}

/** The instance runs the spec it has now: Running, reported for its current generation. */
export function runningNow(i: AppInstance): boolean {
  return i.status?.phase === 'Running' && i.status.observedGeneration === i.metadata.generation;
}

const failedNow = (i: AppInstance) => i.status?.phase === 'Failed';

export interface RolloutPlan {
  create: AppInstanceSpec[];
  /** Instances whose spec is replaced: the next batch, and repairs of edited current ones. */
  update: { instance: AppInstance; spec: AppInstanceSpec }[];
  delete: AppInstance[];
  rolloutFailed: boolean;
}

export function planRollout(
  app: Application,
  revision: number,
  module: ResolvedModule,
  targets: readonly Device[],
  instances: readonly AppInstance[],
): RolloutPlan {
  const maxUnavailable = app.spec.rollout?.maxUnavailable ?? 10;
  const maxFailures = app.spec.rollout?.maxFailures ?? 0;
  const wanted = new Set(targets.map(d => d.metadata.name));
  const byDevice = new Map<string, AppInstance>();
  const plan: RolloutPlan = { create: [], update: [], delete: [], rolloutFailed: false };
  for (const i of instances) {
    const owners = (i.metadata as { ownerReferences?: { uid?: string }[] }).ownerReferences;
    const owned = owners?.some(o => o.uid === app.metadata.uid) ?? false;
    // Another Application of the same name (deleted and created again) owned it: not ours.
    if (!wanted.has(i.spec.device) || !owned || byDevice.has(i.spec.device)) plan.delete.push(i);
    else byDevice.set(i.spec.device, i);
  }
  const old: AppInstance[] = [];
  let pending = 0;
  let failedNew = 0;
  for (const d of targets) {
    const name = d.metadata.name;
    const want = instanceSpec(app, name, revision, module);
    const i = byDevice.get(name);
    if (!i) {
      plan.create.push(want);
      pending++;
    } else if (i.spec.revision === revision) {
      if (!sameJson(i.spec, want)) {
        plan.update.push({ instance: i, spec: want });
        pending++;
      } else if (failedNow(i)) failedNew++;
      else if (!runningNow(i)) pending++;
    } else old.push(i);
  }
  // Failed instances of this revision beyond maxFailures stop the rollout where it is.
  if (failedNew > maxFailures) {
    plan.rolloutFailed = true;
    return plan;
  }
  // The next batch: old instances that are not running go first (they are unavailable
  // anyway), then the rest by name, while fewer than maxUnavailable are pending.
  old.sort(
    (a, b) =>
      Number(runningNow(a)) - Number(runningNow(b)) || (a.metadata.name < b.metadata.name ? -1 : 1),
  );
  for (const i of old) {
    if (pending >= maxUnavailable) break;
    plan.update.push({ instance: i, spec: instanceSpec(app, i.spec.device, revision, module) });
    pending++;
  }
  return plan;
}

export interface StatusFacts {
  revision: number;
  module: ResolvedModule | undefined;
  /** Set when the module could not be resolved: the reason and message of Progressing. */
  moduleProblem?: { reason: string; message: string };
  rolloutFailed: boolean;
}

/** Counts, conditions and phase of an Application from its instances and devices. */
export function applicationStatus(
  app: Application,
  facts: StatusFacts,
  targets: readonly Device[],
  instances: readonly AppInstance[],
  deviceByName: (name: string) => Device | undefined,
): { status: Omit<ApplicationStatus, 'conditions'>; conditions: ConditionInput[] } {
  const generation = app.metadata.generation ?? 0;
  const targetNames = new Set(targets.map(d => d.metadata.name));
  const mine = instances.filter(i => targetNames.has(i.spec.device));
  const updated = mine.filter(i => i.spec.revision === facts.revision);
  const running = updated.filter(runningNow).length;
  const failed = mine.filter(failedNow).length;
  const failedNew = updated.filter(failedNow).length;
  const desired = targets.length;
  const runningAny = mine.filter(i => i.status?.phase === 'Running').length;
  const available = desired > 0 && runningAny === desired;
  const lost = mine.filter(i => {
    const phase = deviceByName(i.spec.device)?.status?.phase;
    return phase === 'Unreachable' || phase === 'Disconnected';
  }).length;
  const progressing = updated.length < desired || running + failedNew < updated.length;
  const conditions: ConditionInput[] = [
    desired === 0
      ? {
          type: 'Available',
          status: 'False',
          reason: 'NoDevices',
          message: 'no device is targeted',
        }
      : available
        ? {
            type: 'Available',
            status: 'True',
            reason: 'AllRunning',
            message: `${runningAny}/${desired} instances running`,
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'NotAllRunning',
            message: `${runningAny}/${desired} instances running`,
          },
    facts.moduleProblem
      ? { type: 'Progressing', status: 'False', ...facts.moduleProblem }
      : facts.rolloutFailed
        ? {
            type: 'Progressing',
            status: 'False',
            reason: 'RolloutFailed',
            message: `${failedNew} instances of revision ${facts.revision} failed (maxFailures ${app.spec.rollout?.maxFailures ?? 0})`,
          }
        : progressing
          ? {
              type: 'Progressing',
              status: 'True',
              reason: 'RollingOut',
              message: `revision ${facts.revision}: ${updated.length}/${desired} updated, ${running} running`,
            }
          : {
              type: 'Progressing',
              status: 'False',
              reason: 'RolloutComplete',
              message: `revision ${facts.revision} runs on ${running}/${desired} devices`,
            },
    failed > 0
      ? {
          type: 'Degraded',
          status: 'True',
          reason: 'InstancesFailed',
          message: `${failed} instances failed`,
        }
      : lost > 0
        ? {
            type: 'Degraded',
            status: 'True',
            reason: 'DevicesUnreachable',
            message: `${lost} devices are unreachable or disconnected`,
          }
        : { type: 'Degraded', status: 'False', reason: 'Healthy', message: 'no instance failed' },
  ];
  for (const c of conditions) c.observedGeneration = generation;
  const phase =
    facts.moduleProblem || facts.rolloutFailed
      ? 'Failed'
      : desired === 0
        ? 'Pending'
        : failed > 0 || lost > 0
          ? 'Degraded'
          : progressing
            ? 'Deploying'
            : 'Running';
  return {
    status: {
      phase,
      ...(facts.module
        ? { moduleSha256: facts.module.sha256, moduleBytes: facts.module.bytes }
        : {}),
      revision: facts.revision,
      desired,
      updated: updated.length,
      running,
      failed,
      observedGeneration: generation,
    },
    conditions,
  };
}
