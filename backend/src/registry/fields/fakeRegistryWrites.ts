import { findResource } from '../resources';
import { ApiError, type KubeObject, type ResourceDescriptor } from '../types';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  fieldSchemaFor,
  managedFieldsAfterUpdate,
  serverSideApply,
} from './index';
import { deepClone } from './jsonValue';
import type { Kind, Step } from './kubeComparison.steps';

/**
 * A FAKE of the registry's write path, for kubeComparison.test.ts only: these functions plus
 * what kube-apiserver (and so the real registry) does around them on every write. It shows
 * the order that matters: decode-time defaults before field ownership is computed, strategy
 * rules (identity metadata, status/spec split, create-time defaults) after it.
 */

export interface Outcome {
  status: number;
  body: unknown;
}

export function descriptor(kind: Kind): ResourceDescriptor {
  const r =
    kind === 'devices'
      ? findResource('wasmbed.io', 'v1alpha1', 'devices')
      : kind === 'leases'
        ? findResource('coordination.k8s.io', 'v1', kind)
        : findResource('', 'v1', kind);
  if (!r) throw new Error(`no resource ${kind}`);
  return r;
}

/**
 * These functions plus what the registry does on every write: identity metadata kept from
 * the stored object (or made up on create), status only through /status and spec only
 * through the main resource for a kind with a status subresource.
 */
export class FakeRegistryWrites {
  private readonly objects = new Map<string, KubeObject>();
  private uids = 0;

  run(step: Step, now: string): Outcome {
    try {
      const created = !this.objects.has(`${step.resource}/${step.name}`);
      return { status: created ? 201 : 200, body: this.write(step, now) };
    } catch (e) {
      if (e instanceof ApiError) return { status: e.code, body: e.status };
      throw e;
    }
  }

  private write(step: Step, now: string): KubeObject {
    const r = descriptor(step.resource);
    const key = `${step.resource}/${step.name}`;
    const prev = this.objects.get(key);
    const schema = fieldSchemaFor(r);
    const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
    const common = { manager: step.manager, now, apiVersion, schema };
    const sub = step.subresource ? { subresource: step.subresource } : {};
    let next: KubeObject;
    if (step.op === 'apply') {
      next = serverSideApply(prev, step.body as KubeObject, {
        ...common,
        ...sub,
        force: step.force ?? false,
      });
      // kube defaults the applied result after ownership is settled: defaults are unowned.
      decodeDefaults(next);
    } else {
      if (step.op === 'create' || step.op === 'update') next = deepClone(step.body) as KubeObject;
      else if (step.op === 'merge') next = applyMergePatch(prev, step.patch) as KubeObject;
      else if (step.op === 'json') next = applyJsonPatch(prev, step.patch) as KubeObject;
      else next = applyStrategicMergePatch(prev, step.patch, r.kind) as KubeObject;
      // kube computes field ownership on the object as its Go type decodes it, defaults
      // included: the writer owns them.
      decodeDefaults(next);
      next.metadata.managedFields = managedFieldsAfterUpdate(
        step.op === 'create' ? undefined : prev,
        next,
        { ...common, ...sub },
      );
      if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    }
    const stored = this.registryRules(prev, next, r, step.subresource, now);
    dropEmptyOmitempty(stored);
    if (r.group === '') {
      // Go writes the zero values of fields without omitempty (an Event's null times).
      for (const [k, v] of Object.entries(schema.emptyObject)) {
        if (k !== 'metadata' && stored[k] === undefined) stored[k] = deepClone(v);
      }
    }
    this.objects.set(key, stored);
    return stored;
  }

  private registryRules(
    prev: KubeObject | undefined,
    next: KubeObject,
    r: ResourceDescriptor,
    subresource: 'status' | undefined,
    now: string,
  ): KubeObject {
    const out = deepClone(next);
    const hasStatus = r.subresources.includes('status');
    const namespace = r.kind === 'Namespace';
    if (!prev) {
      out.metadata.uid = `uid-${++this.uids}`;
      out.metadata.creationTimestamp = now;
      if (r.namespaced) out.metadata.namespace = 'default';
      if (hasStatus) delete out.status;
      // The namespace strategy's create-time defaults (after field management: unowned).
      if (namespace) {
        out.spec = { finalizers: ['kubernetes'] };
        out.status = { phase: 'Active' };
      }
      return out;
    }
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
      if (prev.metadata[k] !== undefined) out.metadata[k] = prev.metadata[k];
    }
    if (subresource === 'status') {
      const kept = deepClone(prev);
      kept.metadata.managedFields = out.metadata.managedFields;
      if (!kept.metadata.managedFields) delete kept.metadata.managedFields;
      if (out.status === undefined) delete kept.status;
      else kept.status = out.status;
      return kept;
    }
    if (hasStatus) {
      if (prev.status === undefined) delete out.status;
      else out.status = prev.status;
    }
    // Namespace finalizers change only through /finalize.
    if (namespace) out.spec = prev.spec;
    return out;
  }
}

/**
 * What kube's decoding of a core kind sets: a Secret's stringData folded into data and its
 * default type, a Namespace's name label; and no empty omitempty fields.
 */
function decodeDefaults(o: KubeObject): void {
  dropEmptyOmitempty(o);
  if (o.kind === 'Secret') {
    const stringData = o.stringData as Record<string, string> | undefined;
    if (stringData) {
      const data = (o.data ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
      o.data = data;
      delete o.stringData;
    }
    o.type ??= 'Opaque';
  }
  if (o.kind === 'Namespace' && o.metadata.name) {
    o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
  }
}

/**
 * Objects round-trip through Go types in kube: ObjectMeta for every kind (custom resources
 * included), the whole object for a core kind. Empty maps and lists of omitempty fields
 * disappear (`labels: {}`, a strategic merge patch deleting the last finalizer), before
 * field ownership is computed.
 */
function dropEmptyOmitempty(o: KubeObject): void {
  const meta = o.metadata as Record<string, unknown>;
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    if (isEmpty(meta[k]) || meta[k] === null) delete meta[k];
  }
  if (o.apiVersion === 'v1') {
    for (const k of ['data', 'binaryData', 'stringData']) if (isEmpty(o[k])) delete o[k];
  }
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}
