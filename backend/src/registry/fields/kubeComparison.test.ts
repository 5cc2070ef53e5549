/**
 * Field management compared with a real kube-apiserver (v1.32.13, test/cluster/): the same
 * sequence of applies, patches and updates runs against kube and against these functions
 * (with a small stand-in for what the registry adds on every write: uid, timestamps, the
 * status/spec split), and after every step the objects, their managedFields and any error
 * Status must be the same, once uid, resourceVersion, generation and times are set aside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, type KubeServer } from '../../../../test/cluster/kubeApiServer';
import { kubeRequest } from '../../../../test/cluster/kubeRequest';
import { writeTokenFile } from '../../../../test/cluster/tokens';
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

jest.setTimeout(120_000);

type Kind = 'devices' | 'configmaps' | 'namespaces';
type Step = {
  what: string;
  resource: Kind;
  name: string;
  subresource?: 'status';
  manager: string;
} & (
  | { op: 'create'; body: unknown }
  | { op: 'update'; body: unknown }
  | { op: 'apply'; body: unknown; force?: boolean }
  | { op: 'merge' | 'json' | 'strategic'; patch: unknown }
);

const DEVICE = 'wasmbed.io/v1alpha1';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const device = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: DEVICE,
  kind: 'Device',
  metadata: { name },
  ...extra,
});
const spec = (s: Record<string, unknown>) => ({
  spec: { board: 'mps2-an385', enrollment: { publicKey: 'k' }, ...s },
});
const cm = (name: string, extra: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  ...extra,
});

const STEPS: Step[] = [
  // The brief's sequence on a Device.
  {
    what: 'A creates by apply',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: {
      ...device('ssa'),
      metadata: { name: 'ssa', labels: { x: '1', y: '2' } },
      ...spec({ gateway: 'gw-a' }),
    },
  },
  {
    what: 'B applies a conflicting board: 409',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({ board: 'nrf52840-dk' })),
  },
  {
    what: 'B conflicts on three fields',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: {
      ...device('ssa'),
      metadata: { name: 'ssa', labels: { x: '9' } },
      ...spec({ board: 'nrf52840-dk', enrollment: { publicKey: 'other' } }),
    },
  },
  {
    what: 'B applies the same values as A: shared ownership, no conflict',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({})),
  },
  {
    what: 'B forces the board',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    force: true,
    body: device('ssa', spec({ board: 'nrf52840-dk' })),
  },
  {
    what: 'A applies without label y and the gateway it owned: both removed',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), metadata: { name: 'ssa', labels: { x: '1' } }, ...spec({}) },
  },
  {
    what: 'kubectl patch (merge) sets a field',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    manager: 'kubectl-patch',
    patch: { spec: { gateway: 'gw-b' }, metadata: { labels: { z: '3' } } },
  },
  {
    what: 'apply conflicts with the Update manager',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'apply forces it; A no longer applies labels',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    force: true,
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'the same apply again is a no-op',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'a gateway applies status with conditions (a list keyed by type)',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: {
        phase: 'Connected',
        conditions: [cond('Ready', 'True'), cond('Enrolled', 'True')],
      },
    }),
  },
  {
    what: 'a controller updates one condition through /status (merge patch)',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'controller',
    patch: { status: { observedGeneration: 3 } },
  },
  {
    what: 'the gateway reorders and drops a condition',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: { phase: 'Connected', conditions: [cond('Enrolled', 'True')] },
    }),
  },
  {
    what: 'a monitor applies its own condition',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'monitor',
    body: device('ssa', { status: { conditions: [cond('Healthy', 'True')] } }),
  },
  {
    what: "the gateway applies two conditions in a new order around the monitor's",
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: {
        phase: 'Connected',
        conditions: [cond('Ready', 'False'), cond('Enrolled', 'True')],
      },
    }),
  },
  {
    what: 'status in a main-resource apply is not owned',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', { ...spec({ gateway: 'gw-c' }), status: { phase: 'Pending' } }),
  },
  {
    what: 'JSON patch of a label by another manager',
    op: 'json',
    resource: 'devices',
    name: 'ssa',
    manager: 'labeller',
    patch: [{ op: 'add', path: '/metadata/labels/team', value: 'edge' }],
  },
  {
    what: 'managedFields: [{}] clears them',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    manager: 'cleaner',
    patch: { metadata: { managedFields: [{}] } },
  },
  {
    what: 'an apply after the reset: before-first-apply owns the rest',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({ board: 'mps2-an500' })),
  },

  // A Device created by POST (an Update manager, with "." markers), then updated by PUT.
  {
    what: 'kubectl create',
    op: 'create',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-create',
    body: {
      ...device('made'),
      metadata: { name: 'made', labels: { a: '1' }, finalizers: ['wasmbed.io/x'] },
      ...spec({}),
    },
  },
  {
    what: 'kubectl replace changes the board and drops the label',
    op: 'update',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-replace',
    body: { ...device('made'), metadata: { name: 'made' }, ...spec({ board: 'mps2-an505' }) },
  },
  {
    what: 'apply to an object created by POST conflicts with its creator',
    op: 'apply',
    resource: 'devices',
    name: 'made',
    manager: 'alice',
    body: device('made', spec({ board: 'mps2-an385' })),
  },

  // kubectl apply (client-side), then kubectl apply --server-side: the three requests
  // kubectl 1.32 sends to take the object over (recorded with -v=9).
  {
    what: 'kubectl apply (client-side) creates',
    op: 'create',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-client-side-apply',
    body: {
      ...device('csa'),
      metadata: {
        name: 'csa',
        labels: { team: 'a' },
        annotations: { [LAST_APPLIED]: lastApplied('csa', 'mps2-an385', { annotations: {} }) },
      },
      ...spec({}),
    },
  },
  {
    what: 'client-side apply patches a field without recording it in its annotation',
    op: 'merge',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-client-side-apply',
    patch: { spec: { gateway: 'by-hand' } },
  },
  {
    what: 'kubectl apply --server-side: a field changed since the last client-side apply conflicts',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk', gateway: 'other' }),
    },
  },
  {
    what: 'kubectl apply --server-side takes over what client-side apply last applied',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk' }),
    },
  },
  {
    what: 'kubectl then applies the annotation as kubectl-last-applied',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-last-applied',
    body: {
      ...device('csa'),
      metadata: {
        name: 'csa',
        annotations: { [LAST_APPLIED]: lastApplied('csa', 'nrf52840-dk') },
      },
    },
  },
  {
    what: 'and applies the configuration again',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk' }),
    },
  },

  // A ConfigMap: a core kind with a granular data map, client-side apply and strategic merge.
  {
    what: 'ConfigMap created by apply',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1', b: '2' } }),
  },
  {
    what: 'strategic merge patch adds a key and a finalizer',
    op: 'strategic',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'kubectl-patch',
    patch: { data: { c: '3' }, metadata: { finalizers: ['x/y'] } },
  },
  {
    what: 'apply without b and with c: c conflicts',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1', c: '4' } }),
  },
  {
    what: 'apply without b: b removed, c untouched',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1' } }),
  },
  {
    what: 'strategic merge patch removes the finalizer',
    op: 'strategic',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'kubectl-patch',
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/y'] } },
  },
  {
    what: 'ConfigMap created by POST',
    op: 'create',
    resource: 'configmaps',
    name: 'made',
    manager: 'kubectl-create',
    body: cm('made', { data: { k: 'v' } }),
  },

  // Strategic merge patch directives on ObjectMeta's merge lists (what kubectl sends).
  {
    what: 'ConfigMap with finalizers and owners',
    op: 'create',
    resource: 'configmaps',
    name: 'smp',
    manager: 'kubectl-create',
    body: cm('smp', {
      metadata: {
        name: 'smp',
        finalizers: ['a/1', 'b/2', 'c/3'],
        ownerReferences: [owner('u1'), owner('u2')],
        labels: { l1: 'x', l2: 'y' },
      },
      data: { a: '1', b: '2' },
    }),
  },
  ...[
    { metadata: { '$setElementOrder/finalizers': ['c/3', 'a/1'], finalizers: ['d/4'] } },
    {
      metadata: {
        '$setElementOrder/finalizers': ['c/3', 'a/1', 'd/4'],
        finalizers: ['a/1', 'd/4'],
      },
    },
    { metadata: { '$setElementOrder/finalizers': ['c/3', 'b/2', 'e/5'], finalizers: ['e/5'] } },
    { metadata: { '$setElementOrder/ownerReferences': [{ uid: 'u2' }, { uid: 'u1' }] } },
    {
      metadata: {
        '$setElementOrder/ownerReferences': [{ uid: 'u3' }, { uid: 'u1' }],
        ownerReferences: [owner('u3')],
      },
    },
    { metadata: { ownerReferences: [{ uid: 'u2', $patch: 'delete' }] } },
    { metadata: { ownerReferences: [{ name: 'no-uid' }] } },
    { metadata: { labels: { $patch: 'delete' } } },
    { data: { $patch: 'replace', z: '1' } },
    { data: { $patch: 'bogus' } },
    { metadata: { '$setElementOrder/finalizers': 'x' } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['b/2', 'zz'] } },
    { metadata: { ownerReferences: [1] } },
    { metadata: { finalizers: [{ $patch: 'delete' }] } },
    { data: { $retainKeys: 'x' } },
    null,
    [1],
  ].map((patch, i): Step => ({
    what: `strategic merge patch ${i}: ${JSON.stringify(patch)}`,
    op: 'strategic',
    resource: 'configmaps',
    name: 'smp',
    manager: 'kubectl-patch',
    patch,
  })),

  // Refusals.
  {
    what: 'apply of the wrong kind',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), kind: 'Gateway' },
  },
  {
    what: 'apply with managedFields',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), metadata: { name: 'ssa', managedFields: [] } },
  },
  {
    what: 'apply with a condition missing its key',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', { status: { conditions: [{ status: 'True' }] } }),
  },
];

/** The annotation as kubectl writes it: Go's JSON of the configuration, keys sorted, and a newline. */
function lastApplied(name: string, board: string, meta: Record<string, unknown> = {}) {
  const config = {
    apiVersion: DEVICE,
    kind: 'Device',
    metadata: { ...meta, labels: { team: 'a' }, name, namespace: 'default' },
    spec: { board, enrollment: { publicKey: 'k' } },
  };
  return `${JSON.stringify(config)}\n`;
}

function owner(uid: string) {
  return { apiVersion: 'v1', kind: 'X', name: `owner-${uid}`, uid };
}

function cond(type: string, status: string) {
  return {
    type,
    status,
    reason: 'Checked',
    message: `${type} is ${status}`,
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
}

interface Outcome {
  status: number;
  body: unknown;
}

/** What must differ between two servers (and between two runs) is set aside. */
function normalise(o: Outcome): Outcome {
  const body = deepClone(o.body) as Record<string, unknown>;
  const causes = (body?.details as { causes?: { field?: string; message?: string }[] })?.causes;
  // kube lists the causes of a conflict with several managers in Go map order (random).
  causes?.sort((a, b) => `${a.message}${a.field}`.localeCompare(`${b.message}${b.field}`));
  if (body && body.kind !== 'Status') {
    const meta = body.metadata as Record<string, unknown>;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation']) delete meta[k];
    const managed = meta.managedFields as Record<string, unknown>[] | undefined;
    if (managed) {
      for (const e of managed) e.time = e.time === undefined ? '(none)' : '(time)';
      // kube orders entries by their time in seconds: runs straddling a second may differ.
      managed.sort((a, b) =>
        JSON.stringify([a.operation, a.manager, a.subresource]).localeCompare(
          JSON.stringify([b.operation, b.manager, b.subresource]),
        ),
      );
    }
  }
  return { status: o.status, body };
}

function path(r: ResourceDescriptor, name: string | undefined, ns = 'default') {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope = r.namespaced ? `/namespaces/${ns}` : '';
  return `${base}${scope}/${r.resource}${name ? `/${name}` : ''}`;
}

function descriptor(kind: Kind): ResourceDescriptor {
  const r =
    kind === 'devices'
      ? findResource('wasmbed.io', 'v1alpha1', 'devices')
      : findResource('', 'v1', kind);
  if (!r) throw new Error(`no resource ${kind}`);
  return r;
}

async function onKube(kube: KubeServer, token: string, step: Step): Promise<Outcome> {
  const r = descriptor(step.resource);
  let url = `${kube.url}${path(r, step.op === 'create' ? undefined : step.name)}`;
  if (step.subresource) url += `/${step.subresource}`;
  const query = new URLSearchParams({ fieldManager: step.manager });
  if (step.op === 'apply' && step.force) query.set('force', 'true');
  const contentType = {
    create: 'application/json',
    update: 'application/json',
    apply: 'application/apply-patch+yaml',
    merge: 'application/merge-patch+json',
    json: 'application/json-patch+json',
    strategic: 'application/strategic-merge-patch+json',
  }[step.op];
  const method = step.op === 'create' ? 'POST' : step.op === 'update' ? 'PUT' : 'PATCH';
  let body = 'patch' in step ? step.patch : step.body;
  if (step.op === 'update') {
    // An update carries the resourceVersion it read, as kubectl replace does.
    const current = await kubeRequest(`${kube.url}${path(r, step.name)}`, kube.caPem, { token });
    const rv = (current.json as KubeObject).metadata.resourceVersion;
    body = deepClone(body) as KubeObject;
    (body as KubeObject).metadata.resourceVersion = rv;
  }
  const res = await kubeRequest(`${url}?${query}`, kube.caPem, {
    method,
    token,
    body,
    contentType,
  });
  return { status: res.status, body: res.json };
}

/**
 * These functions plus what the registry does on every write: identity metadata kept from
 * the stored object (or made up on create), status only through /status and spec only
 * through the main resource for a kind with a status subresource.
 */
class FieldsMirror {
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
    } else {
      if (step.op === 'create' || step.op === 'update') next = deepClone(step.body) as KubeObject;
      else if (step.op === 'merge') next = applyMergePatch(prev, step.patch) as KubeObject;
      else if (step.op === 'json') next = applyJsonPatch(prev, step.patch) as KubeObject;
      else next = applyStrategicMergePatch(prev, step.patch, r.kind) as KubeObject;
      // kube computes field ownership on the object as its Go type decodes it.
      if (r.group === '') dropEmptyOmitempty(next);
      next.metadata.managedFields = managedFieldsAfterUpdate(
        step.op === 'create' ? undefined : prev,
        next,
        { ...common, ...sub },
      );
      if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    }
    const stored = this.registryRules(prev, next, r, step.subresource, now);
    if (r.group === '') dropEmptyOmitempty(stored);
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
    const hasStatus = r.subresources.includes('status') && r.kind !== 'Namespace';
    if (!prev) {
      out.metadata.uid = `uid-${++this.uids}`;
      out.metadata.creationTimestamp = now;
      if (r.namespaced) out.metadata.namespace = 'default';
      if (hasStatus) delete out.status;
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
    return out;
  }
}

/**
 * A core kind round-trips through its Go type in kube: empty maps and lists of omitempty
 * fields disappear (a strategic merge patch that deletes the last finalizer leaves none).
 */
function dropEmptyOmitempty(o: KubeObject): void {
  const meta = o.metadata as Record<string, unknown>;
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    if (isEmpty(meta[k])) delete meta[k];
  }
  for (const k of ['data', 'binaryData', 'stringData']) if (isEmpty(o[k])) delete o[k];
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

describe('field management against kube-apiserver v1.32.13', () => {
  let kube: KubeServer;
  let token: string;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'fields-kube-'));
    const tokens = writeTokenFile(workDir);
    token = tokens.tokens.admin;
    kube = await startKubeApiServer({ workDir, tokenAuthFile: tokens.file });
  });

  afterAll(async () => {
    await kube?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('gives the same objects, managedFields and errors for every step', async () => {
    const mirror = new FieldsMirror();
    const differences: string[] = [];
    for (const step of STEPS) {
      const kubeOutcome = normalise(await onKube(kube, token, step));
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const ours = normalise(mirror.run(step, now));
      try {
        expect(ours).toEqual(kubeOutcome);
      } catch (e) {
        differences.push(`${step.what}:\n${(e as Error).message}`);
      }
    }
    expect(differences).toEqual([]);
  });
});
