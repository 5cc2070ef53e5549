/** The core subset the wasmbed kinds need: Secrets, Leases, Events, ConfigMaps, Namespaces. */
import { assert, at, names, nsPath, seen, type Case } from '../case';
import { configMap, secret } from '../fixtures';

const MERGE = 'application/merge-patch+json';

export const coreCases: Case[] = [
  {
    name: 'core: Secret stringData becomes base64 data; type is kept',
    run: async (s, ns) => {
      const created = await s.req('editor', 'POST', nsPath(ns, 'secrets'), {
        body: secret(ns, 's1', { token: 'abc', other: 'x y' }),
      });
      const patched = await s.req('editor', 'PATCH', nsPath(ns, 'secrets', 's1'), {
        body: { stringData: { token: 'def' } },
        contentType: MERGE,
      });
      const typed = await s.req('editor', 'POST', nsPath(ns, 'secrets'), {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 's2' },
          type: 'wasmbed.io/bootstrap-token',
          data: { token: Buffer.from('t0k').toString('base64') },
        },
      });
      const badData = await s.req('editor', 'POST', nsPath(ns, 'secrets'), {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 's3' },
          data: { token: 'not base64!' },
        },
      });
      const kubectl = await s.kubectl('editor', [
        'get',
        'secret',
        's1',
        '-n',
        ns,
        '-o',
        'jsonpath={.data.token} {.type}',
      ]);
      return {
        created: {
          code: created.code,
          data: at(created.body, 'data'),
          stringData: at(created.body, 'stringData') ?? null,
          type: at(created.body, 'type'),
        },
        patched: { code: patched.code, data: at(patched.body, 'data') },
        typed: { code: typed.code, type: at(typed.body, 'type') },
        badData: { code: badData.code, reason: at(badData.body, 'reason') },
        kubectl: kubectl.stdout,
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.code'), 201);
      assert.deepEqual(at(o, 'created.data'), { token: 'YWJj', other: 'eCB5' });
      assert.equal(at(o, 'created.stringData'), null, 'stringData is not stored');
      assert.equal(at(o, 'created.type'), 'Opaque');
      assert.deepEqual(at(o, 'patched.data'), { token: 'ZGVm', other: 'eCB5' });
      assert.equal(at(o, 'typed.type'), 'wasmbed.io/bootstrap-token');
      assert.equal(at(o, 'badData.code'), 400);
      assert.equal(o.kubectl, 'ZGVm Opaque');
    },
  },
  {
    name: 'core: Lease create, renew (MicroTime), conflict',
    run: async (s, ns) => {
      const lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'gw-a' },
        spec: {
          holderIdentity: 'gw-a',
          leaseDurationSeconds: 15,
          acquireTime: '2020-01-01T00:00:00.000000Z',
          renewTime: '2020-01-01T00:00:00.123456Z',
          leaseTransitions: 0,
        },
      };
      const created = await s.req('gateway', 'POST', nsPath(ns, 'leases'), { body: lease });
      const renewed = await s.req('gateway', 'PATCH', nsPath(ns, 'leases', 'gw-a'), {
        body: { spec: { renewTime: '2020-01-01T00:00:10.654321Z' } },
        contentType: MERGE,
      });
      const stale = {
        ...(created.body as object),
        spec: { ...lease.spec, holderIdentity: 'gw-b' },
      };
      const conflict = await s.req('gateway', 'PUT', nsPath(ns, 'leases', 'gw-a'), { body: stale });
      const badTime = await s.req('gateway', 'PATCH', nsPath(ns, 'leases', 'gw-a'), {
        body: { spec: { renewTime: 'yesterday' } },
        contentType: MERGE,
      });
      const get = await s.req('viewer', 'GET', nsPath(ns, 'leases', 'gw-a'));
      const table = await s.kubectl('viewer', ['get', 'leases', '-n', ns]);
      return {
        created: { code: created.code, spec: at(created.body, 'spec') },
        renewed: { code: renewed.code, spec: at(renewed.body, 'spec') },
        conflict: {
          code: conflict.code,
          reason: at(conflict.body, 'reason'),
          message: at(conflict.body, 'message'),
        },
        badTime: { code: badTime.code, reason: at(badTime.body, 'reason') },
        spec: at(get.body, 'spec'),
        microTimeKept: at(get.body, 'spec.renewTime') === '2020-01-01T00:00:10.654321Z',
        table: table.stdout.split('\n')[0],
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.code'), 201);
      assert.equal(at(o, 'renewed.code'), 200);
      assert.equal(at(o, 'conflict.code'), 409);
      assert.equal(at(o, 'badTime.code'), 422);
      assert.equal(o.microTimeKept, true, 'renewTime keeps its microseconds');
      assert.equal(at(o, 'spec.holderIdentity'), 'gw-a');
    },
  },
  {
    name: 'core: Events (create, list by involvedObject field selector)',
    run: async (s, ns) => {
      const ev = (name: string, obj: string, reason: string) => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: 'wasmbed.io/v1alpha1',
          kind: 'Device',
          name: obj,
          namespace: ns,
        },
        reason,
        message: `${obj} ${reason}`,
        type: 'Normal',
        source: { component: 'wasmbed-gateway' },
        firstTimestamp: '2020-01-01T00:00:00Z',
        lastTimestamp: '2020-01-01T00:00:00Z',
        count: 1,
      });
      const a = await s.req('gateway', 'POST', nsPath(ns, 'events'), {
        body: ev('d1.a', 'd1', 'Connected'),
      });
      await s.req('gateway', 'POST', nsPath(ns, 'events'), { body: ev('d2.a', 'd2', 'Connected') });
      await s.req('gateway', 'POST', nsPath(ns, 'events'), {
        body: ev('d1.b', 'd1', 'Disconnected'),
      });
      const sel = (q: string) =>
        s.req('viewer', 'GET', `${nsPath(ns, 'events')}?fieldSelector=${encodeURIComponent(q)}`);
      return {
        created: seen(a).code,
        byObject: names(await sel('involvedObject.name=d1')).sort(),
        byReason: names(await sel('reason=Connected')).sort(),
        byKind: names(await sel('involvedObject.kind=Device,involvedObject.name=d2')),
        unknown: (await sel('spec.nothing=x')).code,
      };
    },
    expect: o => {
      assert.equal(o.created, 201);
      assert.deepEqual(o.byObject, ['d1.a', 'd1.b']);
      assert.deepEqual(o.byReason, ['d1.a', 'd2.a']);
      assert.deepEqual(o.byKind, ['d2.a']);
      assert.equal(o.unknown, 400);
    },
  },
  {
    name: 'core: immutable ConfigMap refuses data changes',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: { ...configMap(ns, 'c1', { a: '1' }), immutable: true },
      });
      const change = await s.req('editor', 'PATCH', nsPath(ns, 'configmaps', 'c1'), {
        body: { data: { a: '2' } },
        contentType: MERGE,
      });
      const unset = await s.req('editor', 'PATCH', nsPath(ns, 'configmaps', 'c1'), {
        body: { immutable: false },
        contentType: MERGE,
      });
      const label = await s.req('editor', 'PATCH', nsPath(ns, 'configmaps', 'c1'), {
        body: { metadata: { labels: { a: 'b' } } },
        contentType: MERGE,
      });
      const got = await s.req('viewer', 'GET', nsPath(ns, 'configmaps', 'c1'));
      return {
        change: {
          code: change.code,
          reason: at(change.body, 'reason'),
          causes: at(change.body, 'details.causes'),
        },
        unset: {
          code: unset.code,
          reason: at(unset.body, 'reason'),
          causes: at(unset.body, 'details.causes'),
        },
        label: label.code,
        data: at(got.body, 'data'),
      };
    },
    expect: o => {
      assert.equal(at(o, 'change.code'), 422);
      assert.equal(at(o, 'unset.code'), 422);
      assert.equal(o.label, 200, 'metadata may still change');
      assert.deepEqual(o.data, { a: '1' });
    },
  },
  {
    name: 'core: Namespaces (get, list by label, kubectl get ns)',
    run: async (s, ns) => {
      await s.req('admin', 'PATCH', `/api/v1/namespaces/${ns}`, {
        body: { metadata: { labels: { case: 'namespaces' } } },
        contentType: MERGE,
      });
      const get = await s.req('viewer', 'GET', `/api/v1/namespaces/${ns}`);
      const list = await s.req(
        'viewer',
        'GET',
        '/api/v1/namespaces?labelSelector=case%3Dnamespaces',
      );
      const kubectl = await s.kubectl('viewer', ['get', 'ns', ns, '--no-headers']);
      return {
        get: {
          code: get.code,
          phase: at(get.body, 'status.phase'),
          spec: at(get.body, 'spec'),
          labels: at(get.body, 'metadata.labels'),
        },
        list: names(list),
        kubectl: { table: kubectl.stdout.trim().split(/ {2,}/) },
      };
    },
    expect: o => {
      assert.equal(at(o, 'get.code'), 200);
      assert.equal(at(o, 'get.phase'), 'Active');
      assert.equal(
        (at(o, 'get.labels') as Record<string, string>)['kubernetes.io/metadata.name'],
        at(o, 'kubectl.table.0'),
      );
      assert.equal((o.list as string[]).length, 1);
    },
  },
];
