/** Update with optimistic concurrency, and the status subresource's split of spec and status. */
import { assert, at, expectCode, nsPath, seen, type Case } from '../case';
import { configMap, device, type KubeObjectLike } from '../fixtures';

type Obj = KubeObjectLike & {
  metadata: {
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
};

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The parts of an object the generation and subresource cases compare. */
function shape(a: { code: number; body: unknown }) {
  const b = a.body as Obj & { spec?: unknown; status?: unknown };
  return {
    code: a.code,
    generation: at(b, 'metadata.generation'),
    resourceVersion: at(b, 'metadata.resourceVersion'),
    labels: at(b, 'metadata.labels'),
    spec: b.spec,
    status: b.status,
    reason: at(b, 'reason'),
  };
}

export const updateCases: Case[] = [
  {
    name: 'update: stale resourceVersion → 409 Conflict',
    run: async (s, ns) => {
      const created = (
        await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') })
      ).body as Obj;
      const first = clone(created);
      first.metadata.labels = { step: 'one' };
      const ok = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: first });
      const stale = clone(created);
      stale.metadata.labels = { step: 'two' };
      const conflict = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: stale });
      const noVersion = clone(created);
      delete noVersion.metadata.resourceVersion;
      const unconditional = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), {
        body: noVersion,
      });
      const cm = (
        await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
          body: configMap(ns, 'c1', { a: '1' }),
        })
      ).body as Obj;
      const cmStale = { ...clone(cm), data: { a: '2' } };
      await s.req('editor', 'PUT', nsPath(ns, 'configmaps', 'c1'), {
        body: { ...clone(cm), data: { a: '3' } },
      });
      const cmConflict = await s.req('editor', 'PUT', nsPath(ns, 'configmaps', 'c1'), {
        body: cmStale,
      });
      const missing = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'nope'), {
        body: device(ns, 'nope'),
      });
      const after = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return {
        created: { resourceVersion: created.metadata.resourceVersion },
        ok: shape(ok),
        conflict: seen(conflict),
        unconditional: seen(unconditional),
        cmConflict: seen(cmConflict),
        missing: seen(missing),
        after: shape(after),
      };
    },
    expect: o => {
      assert.equal(at(o, 'ok.code'), 200);
      assert.notEqual(at(o, 'ok.resourceVersion'), at(o, 'created.resourceVersion'));
      expectCode(o, 'conflict', 409, 'Conflict');
      assert.equal(
        at(o, 'conflict.body.message'),
        'Operation cannot be fulfilled on devices.wasmbed.io "d1": the object has been modified; please apply your changes to the latest version and try again',
      );
      assert.deepEqual(at(o, 'conflict.body.details'), {
        name: 'd1',
        group: 'wasmbed.io',
        kind: 'devices',
      });
      expectCode(o, 'cmConflict', 409, 'Conflict');
      expectCode(o, 'missing', 404, 'NotFound');
      assert.deepEqual(
        at(o, 'after.labels'),
        { step: 'one' },
        'the refused update changed nothing',
      );
    },
  },
  {
    name: 'status: spec ignored on /status, status ignored on the main resource, generation',
    run: async (s, ns) => {
      const body = device(ns, 'd1');
      body.status = { phase: 'Connected' };
      const created = await s.req('editor', 'POST', nsPath(ns, 'devices'), { body });
      const c = created.body as Obj & {
        spec: Record<string, unknown>;
        status?: Record<string, unknown>;
      };
      // Main resource: a new status and a new label. The label lands, the status does not.
      const main1 = clone(c);
      main1.status = { phase: 'Enrolled' };
      main1.metadata.labels = { tier: 'edge' };
      const labelled = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: main1 });
      // /status: a status, a changed spec and a label. Only the status lands.
      const st = clone(labelled.body as Obj & { spec: Record<string, unknown> });
      st.status = { phase: 'Enrolled', gateway: 'gw-a' };
      st.spec = { ...st.spec, board: 'mps2-an500' };
      st.metadata.labels = { tier: 'core' };
      const statusPut = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1', 'status'), {
        body: st,
      });
      // A spec change on the main resource: generation 2.
      const sp = clone(statusPut.body as Obj & { spec: Record<string, unknown> });
      sp.spec = { ...sp.spec, revoked: true };
      const specPut = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: sp });
      // Annotations and finalizers (metadata) on the main resource.
      const an = clone(specPut.body as Obj);
      an.metadata.annotations = { note: 'x' };
      const annotated = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: an });
      const fin = clone(annotated.body as Obj);
      fin.metadata.finalizers = ['wasmbed.io/hold'];
      const finalized = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), { body: fin });
      // A no-op update: same resourceVersion back, no generation change.
      const noop = await s.req('editor', 'PUT', nsPath(ns, 'devices', 'd1'), {
        body: finalized.body,
      });
      const release = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: null } },
        contentType: 'application/merge-patch+json',
      });
      return {
        created: shape(created),
        labelled: shape(labelled),
        statusPut: shape(statusPut),
        specPut: shape(specPut),
        annotated: shape(annotated),
        finalized: shape(finalized),
        noop: shape(noop),
        released: release.code,
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.code'), 201);
      assert.equal(at(o, 'created.status'), undefined, 'status dropped on create');
      assert.equal(at(o, 'created.generation'), 1);
      assert.equal(at(o, 'labelled.status'), undefined, 'status ignored on the main resource');
      assert.deepEqual(at(o, 'labelled.labels'), { tier: 'edge' });
      assert.equal(at(o, 'labelled.generation'), 1, 'labels do not bump generation');
      assert.equal(at(o, 'statusPut.code'), 200);
      assert.deepEqual(at(o, 'statusPut.status'), { phase: 'Enrolled', gateway: 'gw-a' });
      assert.equal(at(o, 'statusPut.spec.board'), 'mps2-an385', 'spec ignored on /status');
      assert.equal(at(o, 'statusPut.generation'), 1);
      assert.equal(at(o, 'specPut.generation'), 2, 'spec change bumps generation');
      assert.deepEqual(
        at(o, 'specPut.status'),
        { phase: 'Enrolled', gateway: 'gw-a' },
        'status kept on a main update',
      );
      assert.equal(at(o, 'annotated.generation'), 2, 'annotations do not bump generation');
      assert.equal(
        at(o, 'noop.resourceVersion'),
        at(o, 'finalized.resourceVersion'),
        'a no-op update keeps resourceVersion',
      );
    },
  },
  {
    name: 'status: kubectl patch --subresource=status, and a status patch of the main resource',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const sub = await s.kubectl('editor', [
        'patch',
        'device',
        'd1',
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"phase":"Connected","gateway":"gw-a"}}',
      ]);
      const main = await s.kubectl('editor', [
        'patch',
        'device',
        'd1',
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"status":{"phase":"Disconnected"}}',
      ]);
      const bad = await s.kubectl('editor', [
        'patch',
        'device',
        'd1',
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"phase":"Flying"}}',
      ]);
      const got = await s.kubectl('viewer', [
        'get',
        'device',
        'd1',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.phase} {.status.gateway} {.metadata.generation}',
      ]);
      return { sub, main, bad, got: got.stdout };
    },
    expect: o => {
      assert.equal(at(o, 'sub.code'), 0);
      assert.equal(at(o, 'sub.stdout'), 'device.wasmbed.io/d1 patched\n');
      assert.equal(at(o, 'main.stdout'), 'device.wasmbed.io/d1 patched (no change)\n');
      assert.equal(at(o, 'bad.code'), 1);
      assert.match(String(at(o, 'bad.stderr')), /Unsupported value: "Flying"/);
      assert.equal(o.got, 'Connected gw-a 1');
    },
  },
];
