import { ApiError, type KubeObject, type ManagedFieldsEntry } from '../types';
import { FieldSet } from './fieldSet';
import type { FieldSchema } from './fieldSchema';
import { isObject, type JsonObject } from './jsonValue';
import { refuseDeepNesting } from './status';
import { compare, type Comparison } from './typedValue';

/**
 * managedFields as kube-apiserver keeps them: one entry per manager identity (name,
 * operation, subresource, and for Update entries the apiVersion), each with the set of
 * fields it owns. This module decodes and encodes them and records Update operations.
 */

/** kube keeps at most this many Update entries; older ones merge into "ancient-changes". */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

export interface ManagerEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** Entries by identity, as kube's BuildManagerIdentifier keys them. */
export type Managed = Map<string, ManagerEntry>;

export function managerIdentity(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  // An applier is the same manager whichever apiVersion it applies with.
  const apiVersion = e.operation === 'Apply' ? '' : e.apiVersion;
  return JSON.stringify([e.manager, e.operation, apiVersion, e.subresource ?? '']);
}

/** Fields kube never records as owned: identity and bookkeeping metadata. */
export const STRIPPED_FIELDS = FieldSet.of([
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...[
    'name',
    'namespace',
    'creationTimestamp',
    'selfLink',
    'uid',
    'clusterName',
    'generation',
    'managedFields',
    'resourceVersion',
  ].map(f => ['f:metadata', `f:${f}`]),
]);

/** Decodes managedFields; throws on an entry kube would refuse to decode. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields is not a list');
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw new Error(`managed fields entry ${i} is not an object`);
    if (raw.fieldsType !== 'FieldsV1') {
      throw new Error(
        raw.fieldsType === undefined || raw.fieldsType === ''
          ? `missing fieldsType in managed fields entry ${i}`
          : `invalid fieldsType ${JSON.stringify(raw.fieldsType)} in managed fields entry ${i}`,
      );
    }
    const operation = raw.operation;
    if (operation !== 'Apply' && operation !== 'Update') {
      throw new Error(`invalid operation in managed fields entry ${i}`);
    }
    const entry: ManagerEntry = {
      manager: typeof raw.manager === 'string' ? raw.manager : '',
      operation,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      set: FieldSet.fromFieldsV1(raw.fieldsV1 ?? {}),
    };
    if (typeof raw.subresource === 'string' && raw.subresource !== '') {
      entry.subresource = raw.subresource;
    }
    if (typeof raw.time === 'string') entry.time = raw.time;
    managed.set(managerIdentity(entry), entry);
  });
  return managed;
}

/** The live object's managedFields, or none when they do not decode (as kube treats them). */
export function decodeOrEmpty(entries: unknown): Managed {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

/** Encodes entries in kube's order: Apply first, then by time (seconds), manager, apiVersion. */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const e of managed.values()) {
    if (e.set.isEmpty()) continue;
    const entry: ManagedFieldsEntry = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
    } as ManagedFieldsEntry;
    if (e.time !== undefined) entry.time = e.time;
    entry.fieldsType = 'FieldsV1';
    entry.fieldsV1 = e.set.toFieldsV1();
    if (e.subresource) entry.subresource = e.subresource;
    out.push(entry);
  }
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
}

/** The object without metadata.managedFields (what field management compares). */
export function withoutManagedFields(obj: unknown): JsonObject {
  if (!isObject(obj)) return {};
  const meta = obj.metadata;
  if (!isObject(meta) || !('managedFields' in meta)) return obj;
  const { managedFields: _ignored, ...rest } = meta;
  return { ...obj, metadata: rest };
}

export function resetFieldsFor(schema: FieldSchema, subresource?: 'status'): FieldSet {
  return subresource === 'status' ? schema.resetFields.status : schema.resetFields.main;
}

function filtered(c: Comparison, reset: FieldSet): Comparison {
  return {
    added: c.added.withoutPrefixes(reset),
    modified: c.modified.withoutPrefixes(reset),
    removed: c.removed.withoutPrefixes(reset),
  };
}

/**
 * Other managers lose what the operation changed (they no longer own the value they set)
 * and what it removed; entries left empty disappear. Returns the conflicts per manager,
 * which an Update takes over and an Apply without force reports.
 */
export function takeOwnership(
  managed: Managed,
  change: Comparison,
  self: string,
  force: boolean,
): Map<string, FieldSet> {
  const changed = change.modified.union(change.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, e] of managed) {
    if (id === self) continue;
    const conflict = e.set.intersection(changed);
    if (!conflict.isEmpty()) conflicts.set(id, conflict);
  }
  if (!force && conflicts.size > 0) return conflicts;
  for (const [id, e] of managed) {
    if (id === self) continue;
    let set = e.set;
    const conflict = conflicts.get(id);
    if (conflict) set = set.difference(conflict);
    if (!change.removed.isEmpty()) set = set.difference(change.removed);
    if (set.isEmpty()) managed.delete(id);
    else managed.set(id, { ...e, set });
  }
  return conflicts;
}

export interface UpdateOptions {
  manager: string;
  subresource?: 'status';
  /** RFC 3339 time, seconds precision (as kube writes it). */
  now: string;
  apiVersion: string;
  schema: FieldSchema;
}

/**
 * managedFields after a create, update or (non-apply) patch from `prev` (undefined on create)
 * to `next`. The writer takes the fields it added or changed; others lose them and lose what
 * it removed. managedFields in `next` are taken as the new base when the request set them on
 * the main resource (an empty list or `[{}]` clears them), as kube does; on an existing object
 * whose managedFields are empty, nothing is tracked.
 */
export function managedFieldsAfterUpdate(
  prev: KubeObject | undefined,
  next: KubeObject,
  opts: UpdateOptions,
): ManagedFieldsEntry[] {
  refuseDeepNesting(prev, 'object');
  refuseDeepNesting(next, 'object');
  const live = prev ?? (opts.schema.emptyObject as KubeObject);
  const liveManaged = () => decodeOrEmpty(prev?.metadata?.managedFields);
  let managed: Managed;
  const requested = next.metadata?.managedFields as unknown;
  if (opts.subresource) {
    managed = liveManaged();
  } else if (isResetRequest(requested)) {
    managed = new Map();
  } else {
    let fromRequest: Managed | undefined;
    try {
      fromRequest = decodeManagedFields(requested);
    } catch {
      fromRequest = undefined;
    }
    managed = fromRequest && fromRequest.size > 0 ? fromRequest : liveManaged();
  }
  // kube starts tracking an object at its creation only.
  if (managed.size === 0 && prev?.metadata?.uid) return [];

  try {
    recordUpdate(managed, live, next, opts);
  } catch (e) {
    // kube never fails a write over field management (UpdateNoErrors): an object its typed
    // walk cannot read (a keyed list item without its key, stored before validation said
    // so) loses its managedFields instead.
    if (e instanceof ApiError) return [];
    throw e;
  }
  capUpdateManagers(managed);
  return encodeManagedFields(managed);
}

/** `managedFields: []` or `[{}]` in a request means "clear them". */
function isResetRequest(requested: unknown): boolean {
  if (!Array.isArray(requested)) return false;
  if (requested.length === 0) return true;
  return requested.length === 1 && isObject(requested[0]) && Object.keys(requested[0]).length === 0;
}

/** One Update operation by `opts.manager`, applied to `managed` in place. */
export function recordUpdate(
  managed: Managed,
  live: unknown,
  next: unknown,
  opts: Omit<UpdateOptions, 'schema'> & { schema: FieldSchema },
): void {
  const change = filtered(
    compare(withoutManagedFields(live), withoutManagedFields(next), opts.schema.root),
    resetFieldsFor(opts.schema, opts.subresource),
  );
  const current = '\u0000current-operation';
  takeOwnership(managed, change, current, true);
  const taken = change.modified.union(change.added).difference(STRIPPED_FIELDS);
  if (taken.isEmpty()) return;
  const entry: ManagerEntry = {
    // kube records a request without fieldManager or User-Agent as "unknown".
    manager: opts.manager === '' ? 'unknown' : opts.manager,
    operation: 'Update',
    apiVersion: opts.apiVersion,
    time: opts.now,
    set: taken,
  };
  if (opts.subresource) entry.subresource = opts.subresource;
  const id = managerIdentity(entry);
  const previous = managed.get(id);
  if (previous) entry.set = previous.set.union(taken);
  managed.set(id, entry);
}

/** Keeps at most MAX_UPDATE_MANAGERS Update entries, folding the oldest into one per apiVersion. */
export function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.entries()].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  updaters.sort(([ia, a], [ib, b]) => seconds(a.time) - seconds(b.time) || (ia < ib ? -1 : 1));
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (const [id, e] of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const bucket: ManagerEntry = {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: e.apiVersion,
      set: new FieldSet(),
    };
    const bucketId = managerIdentity(bucket);
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, id);
      continue;
    }
    if (!managed.has(bucketId)) {
      const firstEntry = managed.get(first)!;
      managed.delete(first);
      managed.set(bucketId, { ...bucket, set: firstEntry.set });
    }
    const current = managed.get(bucketId)!;
    const merged: ManagerEntry = { ...current, set: e.set.union(current.set) };
    if (e.time !== undefined) merged.time = e.time;
    else delete merged.time;
    managed.set(bucketId, merged);
    managed.delete(id);
    count--;
  }
}
