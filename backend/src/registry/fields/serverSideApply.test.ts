/**
 * Field ownership without a cluster. The expected managedFields, messages and causes are
 * the ones kube-apiserver 1.32.13 gave for the same requests (kubeComparison.test.ts runs
 * the full sequence against it).
 */
import fc from 'fast-check';
import { findResource } from '../resources';
import { ApiError, type KubeObject } from '../types';
import {
  FieldSet,
  fieldSchemaFor,
  managedFieldsAfterUpdate,
  serverSideApply,
  type FieldNode,
} from './index';
import { merge } from './typedValue';

const devices = findResource('wasmbed.io', 'v1alpha1', 'devices')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const schema = fieldSchemaFor(devices);
const API = 'wasmbed.io/v1alpha1';
const T0 = '2026-11-29T19:00:00Z';
const T1 = '2026-11-29T19:00:05Z';

const device = (name: string, rest: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: API,
  kind: 'Device',
  metadata: { name },
  ...rest,
});
const spec = (s: Record<string, unknown> = {}) => ({
  spec: { board: 'mps2-an385', enrollment: { publicKey: 'k' }, ...s },
});

function apply(
  live: KubeObject | undefined,
  body: KubeObject,
  manager: string,
  extra: { force?: boolean; now?: string; subresource?: 'status' } = {},
) {
  return serverSideApply(live, body, {
    manager,
    force: extra.force ?? false,
    now: extra.now ?? T0,
    apiVersion: API,
    schema,
    ...(extra.subresource ? { subresource: extra.subresource } : {}),
  });
}

function refusal(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('managedFieldsAfterUpdate', () => {
  it('on create, owns what the object sets, with "." for maps it added (kube: kubectl create)', () => {
    const created = device('d', {
      metadata: { name: 'd', labels: { a: '1' } },
      ...spec(),
    });
    expect(
      managedFieldsAfterUpdate(undefined, created, {
        manager: 'curl',
        now: T0,
        apiVersion: API,
        schema,
      }),
    ).toEqual([
      {
        apiVersion: API,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
          'f:spec': { '.': {}, 'f:board': {}, 'f:enrollment': { '.': {}, 'f:publicKey': {} } },
        },
        manager: 'curl',
        operation: 'Update',
        time: T0,
      },
    ]);
  });

  it('takes changed fields from other managers, drops emptied entries, keeps unchanged times', () => {
    const created = device('d', spec());
    created.metadata.uid = 'u';
    created.metadata.managedFields = managedFieldsAfterUpdate(undefined, created, {
      manager: 'creator',
      now: T0,
      apiVersion: API,
      schema,
    });
    const next = device('d', spec({ board: 'mps2-an505', gateway: 'g' }));
    next.metadata.managedFields = created.metadata.managedFields;
    const managed = managedFieldsAfterUpdate(created, next, {
      manager: 'editor',
      now: T1,
      apiVersion: API,
      schema,
    });
    expect(managed.map(e => [e.manager, e.time, e.fieldsV1])).toEqual([
      ['creator', T0, { 'f:spec': { '.': {}, 'f:enrollment': { '.': {}, 'f:publicKey': {} } } }],
      ['editor', T1, { 'f:spec': { 'f:board': {}, 'f:gateway': {} } }],
    ]);
  });

  it('managedFields: [{}] or [] in a request clears them, and nothing is tracked afterwards', () => {
    const live = device('d', spec());
    live.metadata.uid = 'u';
    live.metadata.managedFields = managedFieldsAfterUpdate(undefined, live, {
      manager: 'creator',
      now: T0,
      apiVersion: API,
      schema,
    });
    for (const reset of [[{}], []]) {
      const next = device('d', spec({ gateway: 'g' }));
      next.metadata.managedFields = reset as never;
      expect(
        managedFieldsAfterUpdate(live, next, { manager: 'x', now: T1, apiVersion: API, schema }),
      ).toEqual([]);
    }
    const untracked = device('d', { ...spec(), metadata: { name: 'd', uid: 'u' } });
    expect(
      managedFieldsAfterUpdate(untracked, device('d', spec({ gateway: 'g' })), {
        manager: 'x',
        now: T1,
        apiVersion: API,
        schema,
      }),
    ).toEqual([]);
  });

  it('on /status owns only status, and the entry names the subresource', () => {
    const live = device('d', spec());
    live.metadata.uid = 'u';
    live.metadata.managedFields = managedFieldsAfterUpdate(undefined, live, {
      manager: 'creator',
      now: T0,
      apiVersion: API,
      schema,
    });
    const next = device('d', { ...spec({ board: 'ignored' }), status: { phase: 'Connected' } });
    const managed = managedFieldsAfterUpdate(live, next, {
      manager: 'gateway',
      subresource: 'status',
      now: T1,
      apiVersion: API,
      schema,
    });
    expect(managed[1]).toMatchObject({
      manager: 'gateway',
      subresource: 'status',
      fieldsV1: { 'f:status': { '.': {}, 'f:phase': {} } },
    });
  });

  it('drops managedFields instead of failing when the object cannot be walked (kube: UpdateNoErrors)', () => {
    const live = device('d', spec());
    live.metadata.uid = 'u';
    live.metadata.managedFields = managedFieldsAfterUpdate(undefined, live, {
      manager: 'creator',
      now: T0,
      apiVersion: API,
      schema,
    });
    const next = device('d', { ...spec(), status: { conditions: [{ status: 'True' }] } });
    next.metadata.managedFields = live.metadata.managedFields;
    expect(
      managedFieldsAfterUpdate(live, next, {
        manager: 'gw',
        subresource: 'status',
        now: T1,
        apiVersion: API,
        schema,
      }),
    ).toEqual([]);
  });

  it('keeps at most 10 Update entries, folding the oldest into ancient-changes', () => {
    const cms = fieldSchemaFor(configmaps);
    let obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    for (let i = 0; i < 12; i++) {
      const next = { ...obj, data: { ...(obj.data as object), [`k${i}`]: 'v' } } as KubeObject;
      next.metadata = { ...obj.metadata, uid: 'u' };
      next.metadata.managedFields = managedFieldsAfterUpdate(i === 0 ? undefined : obj, next, {
        manager: `m${i}`,
        now: `2026-11-29T19:00:${String(10 + i)}Z`,
        apiVersion: 'v1',
        schema: cms,
      });
      obj = next;
    }
    const managers = obj.metadata.managedFields!.map(e => e.manager);
    expect(managers).toHaveLength(10);
    expect(managers).toContain('ancient-changes');
    expect(managers).not.toContain('m0');
    expect(managers).not.toContain('m1');
    expect(managers).not.toContain('m2');
  });
});

describe('serverSideApply', () => {
  const byA = apply(
    undefined,
    device('d', { metadata: { name: 'd', labels: { x: '1', y: '2' } }, ...spec({ gateway: 'g' }) }),
    'a',
  );

  it('creates: the applier owns exactly what it applied, without "." for struct fields', () => {
    expect(byA.metadata.managedFields).toEqual([
      {
        apiVersion: API,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:x': {}, 'f:y': {} } },
          'f:spec': { 'f:board': {}, 'f:enrollment': { 'f:publicKey': {} }, 'f:gateway': {} },
        },
        manager: 'a',
        operation: 'Apply',
        time: T0,
      },
    ]);
  });

  it("refuses a different value of a field another applier owns with kube's 409", () => {
    expect(refusal(() => apply(byA, device('d', spec({ board: 'nrf52840-dk' })), 'b'))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "a": .spec.board',
      reason: 'Conflict',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.board' },
        ],
      },
      code: 409,
    });
    const three = refusal(() =>
      apply(
        byA,
        device('d', {
          metadata: { name: 'd', labels: { x: '9' } },
          ...spec({ board: 'nrf52840-dk', enrollment: { publicKey: 'other' } }),
        }),
        'b',
      ),
    );
    expect(three.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "a":\n- .metadata.labels.x\n- .spec.board\n- .spec.enrollment.publicKey',
    );
  });

  it('names an Update manager with its apiVersion in a conflict', () => {
    const patched = { ...byA, spec: { ...(byA.spec as object), gateway: 'patched' } } as KubeObject;
    patched.metadata = { ...byA.metadata, uid: 'u' };
    patched.metadata.managedFields = managedFieldsAfterUpdate(byA, patched, {
      manager: 'kubectl-patch',
      now: T1,
      apiVersion: API,
      schema,
    });
    const status = refusal(() => apply(patched, device('d', spec({ gateway: 'mine' })), 'a'));
    expect(status.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-patch" using wasmbed.io/v1alpha1: .spec.gateway',
    );
  });

  it('force takes the field; a value applied alike by two appliers is shared', () => {
    const forced = apply(byA, device('d', spec({ board: 'nrf52840-dk' })), 'b', {
      force: true,
      now: T1,
    });
    expect((forced.spec as { board: string }).board).toBe('nrf52840-dk');
    const [a, b] = forced.metadata.managedFields!;
    expect(a!.fieldsV1['f:spec']).toEqual({
      'f:enrollment': { 'f:publicKey': {} },
      'f:gateway': {},
    });
    expect(b!.fieldsV1['f:spec']).toEqual({ 'f:board': {}, 'f:enrollment': { 'f:publicKey': {} } });
  });

  it('removes what the applier no longer applies, unless another manager owns it', () => {
    const shared = apply(byA, device('d', spec({ gateway: 'g' })), 'b');
    const dropped = apply(shared, device('d', spec()), 'a', { now: T1 });
    // gateway stays (b still applies it); labels x and y go (only a owned them).
    expect(dropped.spec).toEqual({
      board: 'mps2-an385',
      enrollment: { publicKey: 'k' },
      gateway: 'g',
    });
    expect(dropped.metadata.labels).toBeUndefined();
    expect(dropped.metadata.name).toBe('d');
  });

  it('leaves the time of a no-op apply as it was', () => {
    const again = apply(
      byA,
      device('d', {
        metadata: { name: 'd', labels: { x: '1', y: '2' } },
        ...spec({ gateway: 'g' }),
      }),
      'a',
      {
        now: T1,
      },
    );
    expect(again.metadata.managedFields![0]!.time).toBe(T0);
  });

  it('does not own status through the main resource, nor spec through /status', () => {
    const main = apply(
      byA,
      device('d', { ...spec({ gateway: 'g' }), status: { phase: 'Pending' } }),
      'a',
    );
    expect(main.metadata.managedFields![0]!.fieldsV1['f:status']).toBeUndefined();
    const status = apply(
      byA,
      device('d', { spec: { board: 'x' }, status: { phase: 'Connected' } }),
      'gw',
      {
        subresource: 'status',
      },
    );
    const gw = status.metadata.managedFields!.find(e => e.manager === 'gw')!;
    expect(gw).toMatchObject({
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:phase': {} } },
    });
  });

  it('refuses a body that is not an object as kube decodes it', () => {
    expect(refusal(() => apply(byA, [1] as unknown as KubeObject, 'a'))).toMatchObject({
      code: 400,
      message:
        'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}',
    });
    expect(refusal(() => apply(byA, null as unknown as KubeObject, 'a')).message).toBe(
      'invalid object type: /, Kind=',
    );
    expect(refusal(() => apply(byA, {} as KubeObject, 'a')).message).toBe(
      'invalid object type: /, Kind=',
    );
  });

  it('refuses the wrong kind, managedFields in the body, and a keyed item without its key', () => {
    expect(refusal(() => apply(byA, { ...device('d'), kind: 'Gateway' }, 'a'))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'invalid object type: wasmbed.io/v1alpha1, Kind=Gateway',
    });
    expect(
      refusal(() => apply(byA, device('d', { metadata: { name: 'd', managedFields: [] } }), 'a')),
    ).toMatchObject({ code: 400, message: 'metadata.managedFields must be nil' });
    expect(
      refusal(() =>
        apply(byA, device('d', { status: { conditions: [{ status: 'True' }] } }), 'g', {
          subresource: 'status',
        }),
      ),
    ).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'failed to create typed patch object (/d; wasmbed.io/v1alpha1, Kind=Device): .status.conditions: element 0: associative list with keys has an element that omits key field "type" (and doesn\'t have default value)',
      code: 500,
    });
  });
});

describe('fieldSchemaFor a kind it has no schema for', () => {
  it('types ObjectMeta and takes the rest from the values, so applies still work', () => {
    const pods = {
      ...configmaps,
      resource: 'pods',
      singular: 'pod',
      kind: 'Pod',
      listKind: 'PodList',
    };
    const podSchema = fieldSchemaFor(pods);
    const pod = serverSideApply(
      undefined,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', finalizers: ['a'] },
        spec: { containers: [{ name: 'c' }], nodeName: 'n' },
      },
      { manager: 'a', force: false, now: T0, apiVersion: 'v1', schema: podSchema },
    );
    expect(pod.metadata.managedFields![0]!.fieldsV1).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a"': {} } },
      // Undeclared fields are map entries (owned with "."), as for preserve-unknown-fields.
      'f:spec': { '.': {}, 'f:containers': {}, 'f:nodeName': {} },
    });
  });
});

describe('merge of keyed lists', () => {
  const conditions: FieldNode = {
    type: 'list',
    listType: 'map',
    keys: ['type'],
    element: { type: 'untyped' },
  };
  const c = (type: string, v = 1) => ({ type, v });

  it("takes the configuration's order for the items it names and keeps live-only items in place", () => {
    const live = [c('A'), c('B'), c('C'), c('D')];
    expect(merge(live, [c('D', 2), c('B', 2)], conditions)).toEqual([
      c('A'),
      c('C'),
      c('D', 2),
      c('B', 2),
    ]);
    expect(merge(live, [c('E')], conditions)).toEqual([...live, c('E')]);
  });
});

describe('FieldSet', () => {
  const pe = fc.oneof(
    fc.string({ minLength: 1, maxLength: 4 }).map(s => `f:${s}`),
    fc.string({ maxLength: 4 }).map(s => `k:${JSON.stringify({ type: s })}`),
    fc.integer({ min: 0, max: 9 }).map(i => `v:${i}`),
  );
  const paths = fc.array(fc.array(pe, { minLength: 1, maxLength: 4 }), { maxLength: 12 });

  it('round-trips through FieldsV1', () => {
    fc.assert(
      fc.property(paths, ps => {
        const s = FieldSet.of(ps);
        expect(FieldSet.fromFieldsV1(s.toFieldsV1()).equals(s)).toBe(true);
      }),
    );
  });

  it('obeys set laws: (a ∪ b) − b ⊆ a, a ∩ b ⊆ a, a − a = ∅', () => {
    fc.assert(
      fc.property(paths, paths, (pa, pb) => {
        const a = FieldSet.of(pa);
        const b = FieldSet.of(pb);
        const d = a.union(b).difference(b);
        for (const p of d.paths()) expect(a.has(p)).toBe(true);
        for (const p of a.intersection(b).paths()) expect(a.has(p) && b.has(p)).toBe(true);
        expect(a.difference(a).isEmpty()).toBe(true);
        for (const p of pa) expect(a.union(b).has(p)).toBe(true);
      }),
    );
  });
});
