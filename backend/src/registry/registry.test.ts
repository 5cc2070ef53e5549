import { createRegistry } from './index';
import type { KubeObject, Registry } from './types';
import {
  configmaps,
  context,
  device,
  devices,
  namespaces,
  refusal,
  secrets,
  tempDir,
} from './testing';

describe('registry writes', () => {
  let registry: Registry;
  let cleanup: () => void;
  const ctx = context;
  const at = (name?: string, subresource?: 'status') => ({
    resource: devices(),
    namespace: 'default',
    name,
    subresource,
  });

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    registry = await createRegistry({
      dataDir: t.dir,
      now: () => new Date('2026-01-02T03:04:05.678Z'),
    });
  });
  afterEach(async () => {
    await registry.close();
    cleanup();
  });

  it('has the system namespaces at first start, Active with the kubernetes finalizer', async () => {
    const list = await registry.list({ resource: namespaces() }, {}, ctx());
    expect(list.items.map(n => n.metadata.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    expect(list.items[0]).toMatchObject({
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('creates with uid, creationTimestamp, generation 1 and a resourceVersion; status dropped', async () => {
    const created = await registry.create(
      at(),
      { ...device('d1'), status: { phase: 'Connected' } },
      ctx(),
    );
    expect(created.metadata).toMatchObject({
      name: 'd1',
      namespace: 'default',
      generation: 1,
      creationTimestamp: '2026-01-02T03:04:05Z',
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(created.status).toBeUndefined();
    expect(await registry.get(at('d1'), ctx())).toEqual(created);
  });

  it('fills generateName with kube’s 5-character suffix', async () => {
    const body = { ...device(''), metadata: { generateName: 'dev-' } };
    const a = await registry.create(at(), body, ctx());
    expect(a.metadata.name).toMatch(/^dev-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('applies schema defaults and prunes unknown fields with a warning', async () => {
    const c = ctx();
    const gw = await registry.create(
      { resource: (await import('./testing')).gateways(), namespace: 'default' },
      {
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: 'Gateway',
        metadata: { name: 'gw' },
        spec: { endpoint: 'h:1', bogus: 1 },
      },
      c,
    );
    expect(gw.spec).toEqual({
      endpoint: 'h:1',
      tlsPort: 8443,
      adminPort: 8080,
      capacity: 10000,
      heartbeatTimeoutSeconds: 90,
      enrollmentTimeoutSeconds: 30,
    });
    expect(c.warnings).toEqual(['unknown field "spec.bogus"']);
  });

  it('refuses unknown fields with fieldValidation=Strict, storing nothing', async () => {
    const body = { ...device('d1'), spec: { ...device('d1').spec, bogus: 1 } };
    const s = await refusal(registry.create(at(), body, ctx({ fieldValidation: 'Strict' })));
    expect(s).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message:
        'Device in version "v1alpha1" cannot be handled as a Device: strict decoding error: unknown field "spec.bogus"',
    });
    expect((await refusal(registry.get(at('d1'), ctx()))).code).toBe(404);
  });

  it('answers 409 AlreadyExists, and 404 for a missing namespace', async () => {
    await registry.create(at(), device('d1'), ctx());
    expect(await refusal(registry.create(at(), device('d1'), ctx()))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'devices.wasmbed.io "d1" already exists',
      reason: 'AlreadyExists',
      details: { name: 'd1', group: 'wasmbed.io', kind: 'devices' },
      code: 409,
    });
    const s = await refusal(
      registry.create({ resource: devices(), namespace: 'nope' }, device('d2'), ctx()),
    );
    expect(s).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nope" not found',
      details: { name: 'nope', kind: 'namespaces' },
    });
  });

  it('answers 422 Invalid naming every bad field in kube’s words', async () => {
    const bad = {
      ...device('Bad_Name'),
      spec: { board: 'esp32', enrollment: {}, gateway: 'x', revoked: 'yes' },
    };
    const s = await refusal(registry.create(at(), bad, ctx()));
    expect(s.code).toBe(422);
    expect(s.reason).toBe('Invalid');
    expect(s.details?.kind).toBe('Device');
    expect(s.details?.group).toBe('wasmbed.io');
    const causes = s.details?.causes ?? [];
    expect(causes.map(c => [c.field, c.reason])).toEqual(
      expect.arrayContaining([
        ['metadata.name', 'FieldValueInvalid'],
        ['spec.board', 'FieldValueNotSupported'],
        ['spec.revoked', 'FieldValueTypeInvalid'],
      ]),
    );
    expect(s.message).toMatch(/^Device\.wasmbed\.io "Bad_Name" is invalid: \[/);
    expect(causes.find(c => c.field === 'spec.board')?.message).toMatch(
      /^Unsupported value: "esp32": supported values: "mps2-an385", /,
    );
  });

  it('reports a failed CEL twin at the node carrying it', async () => {
    const both = {
      ...device('d1'),
      spec: {
        board: 'mps2-an385',
        enrollment: { publicKey: 'P', bootstrapTokenSecretRef: { name: 't', key: 'k' } },
      },
    };
    const s = await refusal(registry.create(at(), both, ctx()));
    expect(s.details?.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: "object": set exactly one of bootstrapTokenSecretRef and publicKey',
        field: 'spec.enrollment',
      },
    ]);
  });

  it('updates with optimistic concurrency: a stale resourceVersion is 409 Conflict', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    const changed = { ...created, spec: { ...(created.spec as object), revoked: true } };
    const updated = await registry.update(at('d1'), changed, ctx());
    expect(updated.metadata.generation).toBe(2);
    const s = await refusal(registry.update(at('d1'), changed, ctx()));
    expect(s).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on devices.wasmbed.io "d1": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('bumps generation for spec changes only, not for labels or status', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    const labelled = await registry.update(
      at('d1'),
      { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } },
      ctx(),
    );
    expect(labelled.metadata.generation).toBe(1);
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const status = await registry.update(
      at('d1', 'status'),
      { ...labelled, status: { phase: 'Connected' } },
      ctx(),
    );
    expect(status.metadata.generation).toBe(1);
    expect(status.status).toEqual({ phase: 'Connected' });
  });

  it('ignores .status on the main resource and everything but .status on /status', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    const s1 = await registry.update(
      at('d1', 'status'),
      {
        ...created,
        spec: { board: 'mps2-an386', enrollment: { publicKey: 'X' } },
        status: { phase: 'Enrolled' },
      },
      ctx(),
    );
    expect(s1.spec).toEqual(created.spec);
    expect(s1.status).toEqual({ phase: 'Enrolled' });
    const main = await registry.update(at('d1'), { ...s1, status: { phase: 'Pending' } }, ctx());
    expect(main.status).toEqual({ phase: 'Enrolled' });
    // Nothing changed at all: no write, the same resourceVersion.
    expect(main.metadata.resourceVersion).toBe(s1.metadata.resourceVersion);
  });

  it('validates /status writes against the status schema', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    const s = await refusal(
      registry.update(at('d1', 'status'), { ...created, status: { phase: 'Flying' } }, ctx()),
    );
    expect(s.code).toBe(422);
    expect(s.details?.causes?.[0]).toMatchObject({
      field: 'status.phase',
      reason: 'FieldValueNotSupported',
    });
  });

  it('holds a deleted object while finalizers remain, and deletes it when the last goes', async () => {
    await registry.create(at(), device('d1', { finalizers: ['wasmbed.io/hold'] }), ctx());
    const deleting = (await registry.delete(at('d1'), {}, ctx())) as KubeObject;
    expect(deleting.kind).toBe('Device');
    expect(deleting.metadata.deletionTimestamp).toBe('2026-01-02T03:04:05Z');
    expect(deleting.metadata.generation).toBe(2);
    const s = await refusal(
      registry.patch(
        at('d1'),
        'application/merge-patch+json',
        { metadata: { finalizers: ['wasmbed.io/hold', 'other.io/x'] } },
        {},
        ctx(),
      ),
    );
    expect(s.code).toBe(422);
    await registry.patch(
      at('d1'),
      'application/merge-patch+json',
      { metadata: { finalizers: null } },
      {},
      ctx(),
    );
    expect((await refusal(registry.get(at('d1'), ctx()))).code).toBe(404);
  });

  it('deletes at once without finalizers and answers Success', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    expect(await registry.delete(at('d1'), {}, ctx())).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'd1', group: 'wasmbed.io', kind: 'devices', uid: created.metadata.uid },
    });
  });

  it('checks delete preconditions', async () => {
    await registry.create(at(), device('d1'), ctx());
    const s = await refusal(registry.delete(at('d1'), { preconditions: { uid: 'other' } }, ctx()));
    expect(s).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('dryRun checks everything and stores nothing', async () => {
    const before = await registry.list({ resource: devices() }, {}, ctx());
    const created = await registry.create(at(), device('d1'), ctx({ dryRun: true }));
    expect(created.metadata.uid).toBeDefined();
    expect((await refusal(registry.get(at('d1'), ctx()))).code).toBe(404);
    const after = await registry.list({ resource: devices() }, {}, ctx());
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await refusal(registry.create(at(), device('Bad'), ctx({ dryRun: true })))).code).toBe(
      422,
    );
  });

  it('deletecollection removes what the selector picks', async () => {
    await registry.create(at(), device('a', { labels: { x: '1' } }), ctx());
    await registry.create(at(), device('b', { labels: { x: '2' } }), ctx());
    const deleted = await registry.deleteCollection(at(), { labelSelector: 'x=1' }, {}, ctx());
    expect(deleted.items.map(i => i.metadata.name)).toEqual(['a']);
    const left = await registry.list(at(), {}, ctx());
    expect(left.items.map(i => i.metadata.name)).toEqual(['b']);
  });

  it('merges a Secret’s stringData into data and defaults its type', async () => {
    const s = await registry.create(
      { resource: secrets(), namespace: 'default' },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { token: 'abc' } },
      ctx(),
    );
    expect(s).toMatchObject({ data: { token: 'YWJj' }, type: 'Opaque' });
    expect(s.stringData).toBeUndefined();
  });

  it('refuses a ConfigMap key kube refuses', async () => {
    const s = await refusal(
      registry.create(
        { resource: configmaps(), namespace: 'default' },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a b': '1' } },
        ctx(),
      ),
    );
    expect(s.details?.causes?.[0]).toMatchObject({
      field: 'data[a b]',
      reason: 'FieldValueInvalid',
    });
  });

  it('leaves a deleted namespace Terminating and refuses new content in it', async () => {
    await registry.create(
      { resource: namespaces() },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
      ctx(),
    );
    const ns = (await registry.delete(
      { resource: namespaces(), name: 'team' },
      {},
      ctx(),
    )) as KubeObject;
    expect(ns.status).toEqual({ phase: 'Terminating' });
    const s = await refusal(
      registry.create({ resource: devices(), namespace: 'team' }, device('d'), ctx()),
    );
    expect(s).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(s.message).toContain(
      'unable to create new content in namespace team because it is being terminated',
    );
  });

  it('refuses Secret data that is not base64 as kube’s decoder does (400, nothing stored)', async () => {
    const s = await refusal(
      registry.create(
        { resource: secrets(), namespace: 'default' },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: '!!!' } },
        ctx(),
      ),
    );
    expect(s).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message:
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0',
    });
  });

  it('skips the CEL rules after a blocking schema error and says so, as kube does', async () => {
    const bad = { ...device('d1'), spec: { board: 'esp32', enrollment: {} } };
    const s = await refusal(registry.create(at(), bad, ctx()));
    expect(s.details?.causes?.map(c => c.field)).toEqual(['spec.board', '<nil>']);
    // A non-blocking error (a pattern) does not stop them.
    const both = {
      ...device('d1'),
      spec: { board: 'mps2-an385', gateway: 'UP', enrollment: {} },
    };
    const t = await refusal(registry.create(at(), both, ctx()));
    expect(t.details?.causes?.map(c => c.field)).toEqual(['spec.gateway', 'spec.enrollment']);
  });

  it('labels every namespace with its name', async () => {
    const ns = await registry.create(
      { resource: namespaces() },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
      ctx(),
    );
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
  });

  it('decodes core kinds as kube’s Go types: a bad MicroTime is 400, and 422 through a patch', async () => {
    const leases = {
      resource: (await import('./testing')).resource('coordination.k8s.io', 'v1', 'leases'),
      namespace: 'default',
    };
    const lease = (renewTime: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'gw-a' },
      spec: { holderIdentity: 'gw-a', renewTime },
    });
    const bad = await refusal(registry.create(leases, lease('yesterday'), ctx()));
    expect(bad).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(bad.message).toBe(
      'Lease in version "v1" cannot be handled as a Lease: parsing time "yesterday" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "yesterday" as "2006"',
    );
    const created = await registry.create(leases, lease('2020-01-01T00:00:00.123456Z'), ctx());
    expect((created.spec as { renewTime: string }).renewTime).toBe('2020-01-01T00:00:00.123456Z');
    const patched = await refusal(
      registry.patch(
        { ...leases, name: 'gw-a' },
        'application/merge-patch+json',
        { spec: { renewTime: 'yesterday' } },
        {},
        ctx(),
      ),
    );
    expect(patched).toMatchObject({ code: 422, reason: 'Invalid' });
    const typed = await refusal(
      registry.create(
        leases,
        { ...lease('2020-01-01T00:00:00.000000Z'), spec: { leaseDurationSeconds: 'x' } },
        ctx(),
      ),
    );
    expect(typed.message).toBe(
      'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
  });

  it('words failed delete preconditions as kube’s storage does', async () => {
    const created = await registry.create(at(), device('d1'), ctx());
    const s = await refusal(
      registry.delete(at('d1'), { preconditions: { resourceVersion: '1' } }, ctx()),
    );
    expect(s).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on Device.wasmbed.io "d1": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${created.metadata.resourceVersion}). The object might have been modified`,
      details: { name: 'd1', group: 'wasmbed.io', kind: 'Device' },
    });
  });

  it('keeps a ConfigMap key named __proto__ as data', async () => {
    const body = JSON.parse(
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"__proto__":"v","a":"b"}}',
    );
    const created = await registry.create(
      { resource: configmaps(), namespace: 'default' },
      body,
      ctx(),
    );
    expect(Object.keys(created.data as object)).toEqual(['__proto__', 'a']);
    const stored = await registry.get(
      { resource: configmaps(), namespace: 'default', name: 'c' },
      ctx(),
    );
    expect(JSON.stringify(stored.data)).toBe('{"__proto__":"v","a":"b"}');
    expect(Object.getPrototypeOf(stored.data)).toBe(Object.prototype);
  });

  it('prunes an absurdly deep unknown field without recursing into it', async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const body = { ...device('d1'), spec: { ...device('d1').spec, foo: deep } };
    const c = ctx();
    const created = await registry.create(at(), body, c);
    expect(created.spec).toEqual(device('d1').spec);
    expect(c.warnings).toEqual(['unknown field "spec.foo"']);
  });

  it('drops empty labels, annotations and finalizers as kube’s ObjectMeta does', async () => {
    const created = await registry.create(
      at(),
      device('d1', { labels: {}, annotations: {}, finalizers: [] }),
      ctx(),
    );
    expect(Object.keys(created.metadata)).not.toEqual(expect.arrayContaining(['labels']));
    expect(created.metadata.annotations).toBeUndefined();
    expect(created.metadata.finalizers).toBeUndefined();
  });
});
