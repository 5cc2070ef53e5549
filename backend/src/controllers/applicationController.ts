import {
  GROUP_VERSION,
  LABEL_APPLICATION,
  LABEL_DEVICE,
  appInstanceName,
  type AppInstance,
  type Application,
  type Device,
} from '@wasmbed/plugin-wasmbed-common';
import { conditionOf, nowTime, sameJson, setConditions } from './conditions';
import type { ReconcileResult, Log } from './controller';
import { splitKey } from './controller';
import type { EventRecorder } from './events';
import type { Informer } from './informer';
import { isNotFound, type KubeClient } from './kubeClient';
import { resolveModule, type ModuleResolution, type ResolvedModule } from './moduleResolver';
import { applicationStatus, planRollout, targetDevices, templateHash } from './rollout';

/**
 * The Application reconciler: resolves the module, keeps one AppInstance per targeted device
 * (creating, moving to a new revision batch by batch, deleting), and writes the status.
 * The revision lives in two annotations of the Application (`wasmbed.io/revision`, and the
 * hash of the template it was made from), written together in one conditional patch, as a
 * Deployment keeps `deployment.kubernetes.io/revision`: a restarted controller finds the
 * same revision for the same template and bumps it only when the template changes.
 */

export const ANNOTATION_REVISION = 'wasmbed.io/revision';
export const ANNOTATION_TEMPLATE_HASH = 'wasmbed.io/template-hash';

/** A resolved module is reused this long for the same Application generation. */
const MODULE_CACHE_MS = 60_000;
const REFUSAL_CACHE_MS = 5_000;
const MAX_MODULE_CACHE = 10_000;
/** A ConfigMap-sourced module is read again this often (ConfigMaps are not watched). */
const CONFIGMAP_RECHECK_MS = 60_000;

const APPS = (ns: string) => `/apis/wasmbed.io/v1alpha1/namespaces/${ns}/applications`;
const INSTANCES = (ns: string) => `/apis/wasmbed.io/v1alpha1/namespaces/${ns}/appinstances`;

export interface ApplicationControllerDeps {
  client: KubeClient;
  applications: Informer<Application>;
  instances: Informer<AppInstance>;
  devices: Informer<Device>;
  events: EventRecorder;
  log: Log;
}

export const BY_APPLICATION = 'application';

export function createApplicationReconciler(deps: ApplicationControllerDeps) {
  const { client, applications, instances, devices, events, log } = deps;
  const moduleCache = new Map<
    string,
    { generation: number; at: number; result: ModuleResolution }
  >();

  async function moduleOf(app: Application): Promise<ModuleResolution> {
    const uid = app.metadata.uid ?? app.metadata.name;
    const generation = app.metadata.generation ?? 0;
    const hit = moduleCache.get(uid);
    // A refusal is kept briefly too: every instance or device event would otherwise fetch a
    // refused URL again.
    if (
      hit &&
      hit.generation === generation &&
      Date.now() - hit.at < (hit.result.ok ? MODULE_CACHE_MS : REFUSAL_CACHE_MS)
    )
      return hit.result;
    const result = await resolveModule(client, app.metadata.namespace!, app.spec.module);
    if (moduleCache.size >= MAX_MODULE_CACHE) moduleCache.clear();
    moduleCache.set(uid, { generation, at: Date.now(), result });
    return result;
  }

  async function deleteInstance(i: AppInstance): Promise<void> {
    try {
      await client.delete(`${INSTANCES(i.metadata.namespace!)}/${i.metadata.name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    instances.forgetObject(i.metadata.namespace, i.metadata.name);
  }

  /** Bump the revision when the template changed; returns the current one. */
  async function revisionFor(
    app: Application,
    hash: string,
    current: AppInstance[],
  ): Promise<{ app: Application; revision: number; bumped: boolean }> {
    const ann = app.metadata.annotations ?? {};
    const known = Number(ann[ANNOTATION_REVISION]);
    if (ann[ANNOTATION_TEMPLATE_HASH] === hash && Number.isInteger(known) && known > 0)
      return { app, revision: known, bumped: false };
    const revision =
      Math.max(
        Number.isInteger(known) ? known : 0,
        app.status?.revision ?? 0,
        ...current.map(i => i.spec.revision),
      ) + 1;
    const patched = await client.mergePatch<Application>(
      `${APPS(app.metadata.namespace!)}/${app.metadata.name}`,
      {
        metadata: {
          resourceVersion: app.metadata.resourceVersion,
          annotations: {
            [ANNOTATION_REVISION]: String(revision),
            [ANNOTATION_TEMPLATE_HASH]: hash,
          },
        },
      },
    );
    applications.assume(patched);
    return { app: patched, revision, bumped: true };
  }

  return async function reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    let app = applications.get(namespace, name);
    const current = instances.byIndex(BY_APPLICATION, key);
    if (!app || app.metadata.deletionTimestamp) {
      // No garbage collector runs in embedded mode: the instances of a gone Application are ours to delete.
      await inParallel(current, deleteInstance);
      return;
    }
    const targets = targetDevices(app, devices.list());
    const resolution = await moduleOf(app);
    let revision = app.status?.revision ?? 0;
    let module: ResolvedModule | undefined;
    let rolloutFailed = false;
    let moduleProblem: { reason: string; message: string } | undefined;
    let instancesNow = current;
    let bumped = false;
    if (!resolution.ok) {
      moduleProblem = { reason: resolution.reason, message: resolution.message };
      if (app.status?.moduleSha256 && app.status.moduleBytes)
        module = {
          ok: true,
          sha256: app.status.moduleSha256,
          bytes: app.status.moduleBytes,
          configMap: '',
        };
      if (conditionOf(app.status?.conditions, 'Progressing')?.reason !== resolution.reason)
        events.record(
          withKind(app),
          'Warning',
          resolution.reason === 'ModuleUnavailable' ? 'ModuleUnavailable' : 'ModuleRefused',
          resolution.message,
        );
    } else {
      module = resolution;
      if (app.status?.moduleSha256 !== module.sha256)
        events.record(
          withKind(app),
          'Normal',
          'ModuleResolved',
          `module ${module.sha256} (${module.bytes} bytes) stored in ConfigMap ${module.configMap}`,
        );
      ({ app, revision, bumped } = await revisionFor(app, templateHash(app, module), current));
      if (bumped)
        events.record(
          withKind(app),
          'Normal',
          'RolloutStarted',
          `revision ${revision}: moving ${targets.length} devices, at most ${app.spec.rollout?.maxUnavailable ?? 10} at a time`,
        );
      const owner = app;
      const plan = planRollout(app, revision, module, targets, current);
      rolloutFailed = plan.rolloutFailed;
      const written = new Map(current.map(i => [i.metadata.name, i]));
      await inParallel(plan.delete, async i => {
        await deleteInstance(i);
        written.delete(i.metadata.name);
      });
      await inParallel(plan.create, async spec => {
        const created = await client.create<AppInstance>(INSTANCES(namespace), {
          apiVersion: GROUP_VERSION,
          kind: 'AppInstance',
          metadata: {
            name: appInstanceName(owner.metadata.name, spec.device),
            namespace,
            labels: { [LABEL_APPLICATION]: owner.metadata.name, [LABEL_DEVICE]: spec.device },
            ownerReferences: [
              {
                apiVersion: GROUP_VERSION,
                kind: 'Application',
                name: owner.metadata.name,
                uid: owner.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec,
        });
        instances.assume(created);
        written.set(created.metadata.name, created);
      });
      await inParallel(plan.update, async ({ instance, spec }) => {
        const updated = await client.replace<AppInstance>(
          `${INSTANCES(namespace)}/${instance.metadata.name}`,
          {
            ...instance,
            spec,
          },
        );
        instances.assume(updated);
        written.set(updated.metadata.name, updated);
      });
      instancesNow = [...written.values()];
    }

    const { status, conditions } = applicationStatus(
      app,
      { revision, module, rolloutFailed, ...(moduleProblem ? { moduleProblem } : {}) },
      targets,
      instancesNow,
      d => devices.get(namespace, d),
    );
    const next = {
      ...status,
      conditions: setConditions(app.status?.conditions, conditions, nowTime()),
    };
    const before = conditionOf(app.status?.conditions, 'Progressing')?.reason;
    const after = conditionOf(next.conditions, 'Progressing')?.reason;
    if (!sameJson(app.status ?? {}, next)) {
      const saved = await client.replace<Application>(`${APPS(namespace)}/${name}/status`, {
        ...app,
        status: next,
      });
      applications.assume(saved);
      if (before !== after && after === 'RolloutComplete')
        events.record(
          withKind(saved),
          'Normal',
          'RolloutComplete',
          conditionOf(next.conditions, 'Progressing')!.message,
        );
      if (before !== after && after === 'RolloutFailed')
        events.record(
          withKind(saved),
          'Warning',
          'RolloutFailed',
          conditionOf(next.conditions, 'Progressing')!.message,
        );
      log('application: status', {
        application: name,
        phase: next.phase,
        revision,
        desired: next.desired,
        updated: next.updated,
        running: next.running,
        failed: next.failed,
      });
    }
    if (!resolution.ok && resolution.reason === 'ModuleUnavailable')
      return { requeueAfterMs: 10_000 };
    if (app.spec.module.ref?.kind === 'ConfigMap') return { requeueAfterMs: CONFIGMAP_RECHECK_MS };
  };
}

export function withKind<T extends { metadata: { name: string } }>(obj: T, kind = 'Application') {
  return { apiVersion: GROUP_VERSION, kind, ...obj } as T & { apiVersion: string; kind: string };
}

/** Writes of one pass run this many at a time (a new Application on 10,000 devices). */
const WRITE_CONCURRENCY = 16;

/** Runs `fn` over `items`, WRITE_CONCURRENCY at a time; the first failure stops new starts and is thrown. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, lane));
  if (failure !== undefined) throw failure;
}
