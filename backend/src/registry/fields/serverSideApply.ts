import type { KubeObject } from '../types';
import { FieldSet, pathToString } from './fieldSet';
import type { FieldSchema } from './fieldSchema';
import {
  deepClone,
  deepEqual,
  goJsonTypeName,
  isObject,
  setOwn,
  type JsonObject,
} from './jsonValue';
import {
  decodeManagedFields,
  encodeManagedFields,
  managerIdentity,
  recordUpdate,
  resetFieldsFor,
  STRIPPED_FIELDS,
  takeOwnership,
  withoutManagedFields,
  type Managed,
  type ManagerEntry,
} from './managedFields';
import { appliedObjectProblem } from './applyValidation';
import { applyConflict, badRequest, goJson, refuseDeepNesting, serverError } from './status';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet } from './typedValue';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  subresource?: 'status';
  /** RFC 3339 time, seconds precision (as kube writes it). */
  now: string;
  /** The resource's group/version, e.g. `wasmbed.io/v1alpha1`. */
  apiVersion: string;
  schema: FieldSchema;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Server-side apply (`application/apply-patch+yaml`): the applied configuration merged into
 * the live object (undefined = create), with field ownership as kube-apiserver keeps it.
 * The manager owns exactly what it applied; what it applied last time and no longer applies
 * is removed unless another manager owns it; a field another manager owns with a different
 * value is a conflict (409) unless `force`, which takes it over. Returns the new object with
 * `metadata.managedFields` set; the registry still enforces what it enforces on any write
 * (system metadata, status vs spec, validation).
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  refuseDeepNesting(applied, 'YAML');
  refuseDeepNesting(live, 'object');
  checkAppliedObject(applied, opts);
  const schema = opts.schema;
  const problem = appliedObjectProblem(applied, schema.root);
  if (problem) {
    const meta = isObject(applied.metadata) ? applied.metadata : {};
    throw serverError(
      `failed to create typed patch object (${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${gvkString(opts.apiVersion, applied.kind)}): ${problem}`,
    );
  }
  const base = (live ? withoutManagedFields(live) : deepClone(schema.emptyObject)) as JsonObject;
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    throw serverError(`failed to decode managed fields: ${(e as Error).message}`);
  }
  const manager = opts.manager === '' ? 'unknown' : opts.manager;

  // An object whose fields nobody owns (created before tracking, or whose managedFields were
  // cleared): its current fields go to a "before-first-apply" manager so they can conflict.
  if (managed.size === 0) {
    recordUpdate(managed, schema.emptyObject, base, {
      manager: 'before-first-apply',
      now: opts.now,
      apiVersion: opts.apiVersion,
      schema,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    });
  }

  let outcome = applyOwnership(base, applied, new Map(managed), manager, opts, opts.force);
  if (outcome.conflicts && manager === 'kubectl') {
    // `kubectl apply --server-side` taking over from client-side apply: conflicts on fields
    // whose live value is still what the last client-side apply set are not conflicts.
    const allowed = allowedByLastApplied(base, schema);
    const remaining = new Map<string, FieldSet>();
    for (const [id, set] of outcome.conflicts) {
      const left = allowed ? set.difference(allowed) : set;
      if (!left.isEmpty()) remaining.set(id, left);
    }
    if (remaining.size === 0) {
      outcome = applyOwnership(base, applied, new Map(managed), manager, opts, true);
    } else {
      outcome.conflicts = remaining;
    }
  }
  if (outcome.conflicts) throw conflictError(outcome.conflicts, managed);

  const out = outcome.result as KubeObject;
  if (manager === 'kubectl') updateLastApplied(out, applied);
  const meta = isObject(out.metadata) ? out.metadata : {};
  const entries = encodeManagedFields(outcome.managed);
  if (entries.length > 0) setOwn(meta, 'managedFields', entries);
  else delete meta.managedFields;
  out.metadata = meta;
  return out;
}

interface Outcome {
  result: JsonObject;
  managed: Managed;
  conflicts?: Map<string, FieldSet>;
}

/** One apply: merge, prune, ownership; conflicts are returned, not thrown. */
function applyOwnership(
  base: JsonObject,
  applied: KubeObject,
  managed: Managed,
  manager: string,
  opts: ApplyOptions,
  force: boolean,
): Outcome {
  const schema = opts.schema;
  const reset = resetFieldsFor(schema, opts.subresource);
  const self: ManagerEntry = {
    manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    set: new FieldSet(),
  };
  if (opts.subresource) self.subresource = opts.subresource;
  const selfId = managerIdentity(self);
  const previous = managed.get(selfId);
  const lastSet = previous?.set;

  const merged = merge(base, applied, schema.root) as JsonObject;
  // Identity metadata (name, namespace...) stays in the applier's set while pruning, so that
  // `metadata` counts as owned; it is dropped from the recorded set afterwards, as in kube.
  self.set = toFieldSet(applied, schema.root).withoutPrefixes(reset);
  if (previous?.time !== undefined) self.time = previous.time;
  managed.set(selfId, self);

  const result = lastSet && !lastSet.isEmpty() ? prune(merged, managed, lastSet, schema) : merged;

  const change = compare(base, result, schema.root);
  const filteredChange = {
    added: change.added.withoutPrefixes(reset),
    modified: change.modified.withoutPrefixes(reset),
    removed: change.removed.withoutPrefixes(reset),
  };
  const conflicts = takeOwnership(managed, filteredChange, selfId, force);
  if (!force && conflicts.size > 0) return { result, managed, conflicts };

  self.set = self.set.difference(STRIPPED_FIELDS);
  // A no-op apply leaves the applier's time as it was (kube writes nothing then): a new
  // co-owner of unchanged values is recorded without a time.
  if (!deepEqual(base, result)) self.time = opts.now;
  if (self.set.isEmpty()) managed.delete(selfId);
  return { result, managed };
}

/**
 * The fields of the live object's last client-side apply whose live values are still the
 * ones it applied (kube's lastAppliedManager); undefined when there is no usable annotation.
 */
function allowedByLastApplied(base: JsonObject, schema: FieldSchema): FieldSet | undefined {
  const meta = isObject(base.metadata) ? base.metadata : {};
  const annotation = isObject(meta.annotations) ? meta.annotations[LAST_APPLIED] : undefined;
  if (typeof annotation !== 'string' || annotation === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (!isObject(lastApplied) || lastApplied.apiVersion !== base.apiVersion) return undefined;
  if (appliedObjectProblem(lastApplied, schema.root)) return undefined;
  const c = compare(lastApplied, base, schema.root);
  return toFieldSet(lastApplied, schema.root)
    .difference(c.modified)
    .difference(c.added)
    .difference(c.removed);
}

/**
 * What the applier applied last time and no longer applies goes, unless a manager (the
 * applier's new configuration included) still owns it: structured-merge-diff's prune, in
 * its three steps, with struct fields counted as owned when something below them is.
 */
function prune(merged: JsonObject, managed: Managed, lastSet: FieldSet, schema: FieldSchema) {
  const root = schema.root;
  const named = (s: FieldSet) => ensureNamedFieldsAreMembers(s, root);
  const last = named(lastSet);
  let pruned = removeItems(merged, last, root);

  let owned = new FieldSet();
  for (const e of managed.values()) owned = owned.union(e.set);
  const mergedSet = named(toFieldSet(merged, root));
  pruned = removeItems(
    merged,
    mergedSet.difference(named(toFieldSet(pruned, root)).union(named(owned))),
    root,
  );

  const dangling = mergedSet.difference(named(toFieldSet(pruned, root))).intersection(last);
  return removeItems(merged, dangling, root) as JsonObject;
}

function conflictError(conflicts: Map<string, FieldSet>, managed: Managed) {
  const byManager = [...conflicts.entries()].map(([id, set]) => ({
    who: describeManager(managed.get(id)!),
    paths: set.paths().map(p => pathToString(p)),
  }));
  const causes = byManager.flatMap(m =>
    m.paths.map(field => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${m.who}`,
      field,
    })),
  );
  let message: string;
  if (causes.length === 1) {
    message = `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`;
  } else {
    const lines = [...byManager]
      .sort((a, b) => (a.who < b.who ? -1 : a.who > b.who ? 1 : 0))
      .flatMap(m => [`conflicts with ${m.who}:`, ...m.paths.map(p => `- ${p}`)]);
    message = `Apply failed with ${causes.length} conflicts: ${lines.join('\n')}`;
  }
  return applyConflict(message, causes);
}

/** `"name"`, `"name" with subresource "status"`, and `using <apiVersion>` for Update managers. */
function describeManager(e: ManagerEntry): string {
  let who = JSON.stringify(e.manager);
  if (e.subresource) who += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') who += ` using ${e.apiVersion}`;
  return who;
}

/** A GroupVersionKind as Go prints it: `wasmbed.io/v1alpha1, Kind=Device`, `/v1, Kind=ConfigMap`. */
function gvkString(apiVersion: string, kind: unknown): string {
  const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  return `${gv}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

/** kube's refusals of an applied configuration, before any merging. */
function checkAppliedObject(applied: KubeObject, opts: ApplyOptions): void {
  const body = applied as unknown;
  if (body === null || body === undefined) {
    throw badRequest('invalid object type: /, Kind=');
  }
  if (!isObject(body)) {
    throw badRequest(
      `error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goJsonTypeName(body)} into Go value of type map[string]interface {}`,
    );
  }
  const [group, version] = opts.apiVersion.includes('/')
    ? opts.apiVersion.split('/')
    : ['', opts.apiVersion];
  const appliedApiVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  const [g, v] = appliedApiVersion.includes('/')
    ? appliedApiVersion.split('/')
    : ['', appliedApiVersion];
  const kind = typeof applied.kind === 'string' ? applied.kind : '';
  if (g !== group || v !== version || kind !== opts.schema.kind) {
    throw badRequest(`invalid object type: ${gvkString(appliedApiVersion, kind)}`);
  }
  const meta = applied.metadata as unknown;
  if (isObject(meta) && meta.managedFields !== undefined && meta.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
}

/**
 * When `kubectl apply --server-side` (manager "kubectl") applies to an object that carries
 * client-side apply's annotation, kube keeps that annotation in step with the configuration,
 * so a later client-side apply does not undo the server-side one.
 */
function updateLastApplied(out: KubeObject, applied: KubeObject): void {
  const annotations = out.metadata?.annotations;
  if (!annotations || !annotations[LAST_APPLIED]) return;
  const copy = deepClone(applied) as JsonObject;
  const meta = copy.metadata;
  if (isObject(meta) && isObject(meta.annotations)) {
    delete meta.annotations[LAST_APPLIED];
  }
  annotations[LAST_APPLIED] = `${goJson(copy)}\n`;
}
