/** Create (generateName, defaults), get, 404, AlreadyExists, list with selectors and pages. */
import { assert, at, expectCode, names, nsPath, seen, type Case } from '../case';
import { application, configMap, device, gateway, manifest } from '../fixtures';
import type { ServerUnderTest } from '../servers';

async function createDevices(
  s: ServerUnderTest,
  ns: string,
  labelled: Record<string, Record<string, string>>,
) {
  for (const [name, labels] of Object.entries(labelled)) {
    const a = await s.req('admin', 'POST', nsPath(ns, 'devices'), {
      body: device(ns, name, { labels }),
    });
    if (a.code !== 201) throw new Error(`creating ${name}: HTTP ${a.code}`);
  }
}

const SELECTOR_DEVICES = {
  d1: { tier: 'edge', zone: 'a' },
  d2: { tier: 'edge', zone: 'b' },
  d3: { tier: 'core', zone: 'a' },
  d4: { zone: 'b' },
  d5: {},
};

/** Selector → the names it must select from SELECTOR_DEVICES. */
const LABEL_SELECTORS: Record<string, string[]> = {
  'tier=edge': ['d1', 'd2'],
  'tier==edge': ['d1', 'd2'],
  'tier!=edge': ['d3', 'd4', 'd5'],
  'tier in (edge,core)': ['d1', 'd2', 'd3'],
  'tier notin (edge)': ['d3', 'd4', 'd5'],
  tier: ['d1', 'd2', 'd3'],
  '!tier': ['d4', 'd5'],
  'tier=edge,zone=a': ['d1'],
  'zone=b,!tier': ['d4'],
  'tier=nothing': [],
};

export const crudCases: Case[] = [
  {
    name: 'create: a Device, then get it (client-node and kubectl)',
    run: async (s, ns) => {
      const created = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { labels: { tier: 'edge' } }),
      });
      const got = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      // Empty metadata maps and lists are not kept (ObjectMeta omits them when empty).
      const empty = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd2', { metadata: { labels: {}, annotations: {}, finalizers: [] } }),
      });
      const { KubernetesObjectApi } = await import('@kubernetes/client-node');
      const api = KubernetesObjectApi.makeApiClient(s.client('viewer'));
      const read = await api.read({
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: 'Device',
        metadata: { name: 'd1', namespace: ns },
      });
      const kubectl = await s.kubectl('viewer', ['get', 'device', 'd1', '-n', ns, '-o', 'json']);
      return {
        created: seen(created),
        got: seen(got),
        clientNode: read,
        kubectl: { code: kubectl.code, object: JSON.parse(kubectl.stdout || 'null') },
        emptyMetadata: {
          code: empty.code,
          labels: at(empty.body, 'metadata.labels') ?? 'absent',
          annotations: at(empty.body, 'metadata.annotations') ?? 'absent',
          finalizers: at(empty.body, 'metadata.finalizers') ?? 'absent',
        },
      };
    },
    expect: o => {
      expectCode(o, 'created', 201);
      expectCode(o, 'got', 200);
      assert.equal(at(o, 'created.body.metadata.generation'), 1);
      assert.match(String(at(o, 'created.body.metadata.uid')), /^<uid:1>$/);
      assert.equal(at(o, 'created.body.metadata.creationTimestamp'), '<time>');
      assert.deepEqual(
        at(o, 'got.body'),
        at(o, 'created.body'),
        'get returns what create returned',
      );
      assert.deepEqual(at(o, 'clientNode.metadata.uid'), '<uid:1>');
      assert.equal(at(o, 'kubectl.object.spec.board'), 'mps2-an385');
      assert.deepEqual(o.emptyMetadata, {
        code: 201,
        labels: 'absent',
        annotations: 'absent',
        finalizers: 'absent',
      });
    },
  },
  {
    name: 'create: generateName',
    run: async (s, ns) => {
      const body = device(ns, 'x');
      delete body.metadata.name;
      body.metadata.generateName = 'gen-';
      const a = await s.req('editor', 'POST', nsPath(ns, 'devices'), { body });
      const name = String(at(a.body, 'metadata.name'));
      const kubectl = await s.kubectl(
        'editor',
        ['create', '-n', ns, '-f', '-', '-o', 'name'],
        manifest(body),
      );
      return {
        created: seen(a),
        kubeAlphabet: /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(name),
        got: seen(await s.req('viewer', 'GET', nsPath(ns, 'devices', name))),
        kubectl: { code: kubectl.code, stdout: kubectl.stdout, stderr: kubectl.stderr },
        list: names(await s.req('viewer', 'GET', nsPath(ns, 'devices'))).length,
      };
    },
    expect: o => {
      expectCode(o, 'created', 201);
      assert.equal(o.kubeAlphabet, true, "name is gen- and five characters of kube's alphabet");
      assert.equal(at(o, 'created.body.metadata.generateName'), 'gen-');
      expectCode(o, 'got', 200);
      assert.equal(at(o, 'kubectl.code'), 0);
      assert.equal(o.list, 2);
    },
  },
  {
    name: 'create: defaults from the schema (Gateway, Application limits)',
    run: async (s, ns) => {
      const gw = await s.req('editor', 'POST', nsPath(ns, 'gateways'), {
        body: gateway(ns, 'gw-a'),
      });
      const withLimits = await s.req('editor', 'POST', nsPath(ns, 'applications'), {
        body: application(ns, 'app1', { limits: {}, rollout: { maxUnavailable: 2 } }),
      });
      const without = await s.req('editor', 'POST', nsPath(ns, 'applications'), {
        body: application(ns, 'app2'),
      });
      return { gateway: seen(gw), appWithLimits: seen(withLimits), appWithout: seen(without) };
    },
    expect: o => {
      expectCode(o, 'gateway', 201);
      assert.deepEqual(at(o, 'gateway.body.spec'), {
        endpoint: 'gw.example.org:8443',
        tlsPort: 8443,
        adminPort: 8080,
        capacity: 10000,
        heartbeatTimeoutSeconds: 90,
        enrollmentTimeoutSeconds: 30,
      });
      assert.deepEqual(at(o, 'appWithLimits.body.spec.limits'), {
        memoryBytes: 65536,
        fuelPerActivation: 1000000,
        maxRestarts: 3,
      });
      assert.deepEqual(at(o, 'appWithLimits.body.spec.rollout'), {
        maxUnavailable: 2,
        maxFailures: 0,
      });
      assert.equal(at(o, 'appWithout.body.spec.limits'), undefined, 'no limits object is made up');
    },
  },
  {
    name: 'get: 404 NotFound shape (custom and core resources, kubectl)',
    run: async (s, ns) => ({
      device: seen(await s.req('viewer', 'GET', nsPath(ns, 'devices', 'missing'))),
      configMap: seen(await s.req('viewer', 'GET', nsPath(ns, 'configmaps', 'missing'))),
      lease: seen(await s.req('viewer', 'GET', nsPath(ns, 'leases', 'missing'))),
      namespace: seen(await s.req('viewer', 'GET', '/api/v1/namespaces/no-such-namespace')),
      kubectl: await s.kubectl('viewer', ['get', 'device', 'missing', '-n', ns]),
    }),
    expect: o => {
      expectCode(o, 'device', 404, 'NotFound');
      assert.deepEqual(at(o, 'device.body.details'), {
        name: 'missing',
        group: 'wasmbed.io',
        kind: 'devices',
      });
      assert.equal(at(o, 'device.body.message'), 'devices.wasmbed.io "missing" not found');
      expectCode(o, 'configMap', 404, 'NotFound');
      assert.equal(at(o, 'configMap.body.message'), 'configmaps "missing" not found');
      expectCode(o, 'namespace', 404, 'NotFound');
      assert.equal(at(o, 'kubectl.code'), 1);
      assert.match(
        String(at(o, 'kubectl.stderr')),
        /Error from server \(NotFound\): devices.wasmbed.io "missing" not found/,
      );
    },
  },
  {
    name: 'create: AlreadyExists 409 (HTTP and kubectl create)',
    run: async (s, ns) => {
      const first = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1'),
      });
      const again = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { spec: { board: 'mps2-an500' } }),
      });
      const cm = await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c1', { a: '1' }),
      });
      const cmAgain = await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c1', { a: '2' }),
      });
      const kubectl = await s.kubectl(
        'editor',
        ['create', '-n', ns, '-f', '-'],
        manifest(device(ns, 'd1')),
      );
      const after = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return {
        first: first.code,
        again: seen(again),
        cm: cm.code,
        cmAgain: seen(cmAgain),
        kubectl,
        boardAfter: at(after.body, 'spec.board'),
      };
    },
    expect: o => {
      expectCode(o, 'again', 409, 'AlreadyExists');
      assert.equal(at(o, 'again.body.message'), 'devices.wasmbed.io "d1" already exists');
      assert.deepEqual(at(o, 'again.body.details'), {
        name: 'd1',
        group: 'wasmbed.io',
        kind: 'devices',
      });
      expectCode(o, 'cmAgain', 409, 'AlreadyExists');
      assert.equal(at(o, 'kubectl.code'), 1);
      assert.equal(o.boardAfter, 'mps2-an385', 'the refused create changed nothing');
    },
  },
  {
    name: 'client-node: typed clients, errors as ApiException with the Status body',
    run: async (s, ns) => {
      const k8s = await import('@kubernetes/client-node');
      const objects = k8s.KubernetesObjectApi.makeApiClient(s.client('editor'));
      const custom = s.client('viewer').makeApiClient(k8s.CustomObjectsApi);
      const core = s.client('editor').makeApiClient(k8s.CoreV1Api);
      const failure = async (p: Promise<unknown>) => {
        try {
          await p;
          return { code: 0 };
        } catch (err) {
          const e = err as { code?: number; body?: unknown };
          const body = typeof e.body === 'string' ? (JSON.parse(e.body) as unknown) : e.body;
          return { code: e.code, reason: at(body, 'reason'), message: at(body, 'message') };
        }
      };
      const created = await objects.create(device(ns, 'd1', { labels: { tier: 'edge' } }));
      await objects.create(device(ns, 'd2'));
      const duplicate = await failure(objects.create(device(ns, 'd1')));
      const listed = (await custom.listNamespacedCustomObject({
        group: 'wasmbed.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'devices',
        labelSelector: 'tier=edge',
      })) as { items: { metadata: { name: string } }[] };
      const missing = await failure(
        custom.getNamespacedCustomObject({
          group: 'wasmbed.io',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'devices',
          name: 'nope',
        }),
      );
      const cm = await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'c1' }, data: { a: '1' } },
      });
      const forbidden = await failure(
        s
          .client('viewer')
          .makeApiClient(k8s.CoreV1Api)
          .readNamespacedSecret({ namespace: ns, name: 'x' }),
      );
      return {
        created: {
          name: created.metadata?.name,
          generation: created.metadata?.generation,
          uid: created.metadata?.uid,
        },
        duplicate,
        listed: listed.items.map(i => i.metadata.name),
        missing,
        configMap: { name: cm.metadata?.name, data: cm.data },
        forbidden,
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.generation'), 1);
      assert.deepEqual(o.duplicate, {
        code: 409,
        reason: 'AlreadyExists',
        message: 'devices.wasmbed.io "d1" already exists',
      });
      assert.deepEqual(o.listed, ['d1']);
      assert.equal(at(o, 'missing.code'), 404);
      assert.deepEqual(at(o, 'configMap.data'), { a: '1' });
      assert.equal(at(o, 'forbidden.code'), 403);
    },
  },
  {
    name: 'list: label selectors (=, ==, !=, in, notin, exists, !)',
    run: async (s, ns) => {
      await createDevices(s, ns, SELECTOR_DEVICES);
      const http: Record<string, string[]> = {};
      const kubectl: Record<string, string[]> = {};
      for (const sel of Object.keys(LABEL_SELECTORS)) {
        http[sel] = names(
          await s.req(
            'viewer',
            'GET',
            `${nsPath(ns, 'devices')}?labelSelector=${encodeURIComponent(sel)}`,
          ),
        ).sort();
        const r = await s.kubectl('viewer', ['get', 'devices', '-n', ns, '-l', sel, '-o', 'name']);
        kubectl[sel] = r.stdout.split('\n').filter(Boolean).sort();
      }
      const bad = await s.req(
        'viewer',
        'GET',
        `${nsPath(ns, 'devices')}?labelSelector=${encodeURIComponent('tier in edge')}`,
      );
      return {
        http,
        kubectl,
        bad: { code: bad.code, reason: at(bad.body, 'reason'), kind: at(bad.body, 'kind') },
      };
    },
    expect: o => {
      for (const [sel, expected] of Object.entries(LABEL_SELECTORS)) {
        assert.deepEqual(
          (o.http as Record<string, string[]>)[sel],
          expected,
          `labelSelector ${sel}`,
        );
        assert.deepEqual(
          (o.kubectl as Record<string, string[]>)[sel],
          expected.map(n => `device.wasmbed.io/${n}`),
          `kubectl -l ${sel}`,
        );
      }
      assert.equal(at(o, 'bad.code'), 400);
      assert.equal(at(o, 'bad.reason'), 'BadRequest');
    },
  },
  {
    name: 'list: field selectors (metadata.name, metadata.namespace, an unsupported field)',
    run: async (s, ns) => {
      await createDevices(s, ns, { d1: {}, d2: {}, d3: {} });
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c1', { a: '1' }),
      });
      const q = (resource: string, sel: string) =>
        s.req('viewer', 'GET', `${nsPath(ns, resource)}?fieldSelector=${encodeURIComponent(sel)}`);
      return {
        byName: names(await q('devices', 'metadata.name=d2')),
        notName: names(await q('devices', 'metadata.name!=d2')),
        byNamespace: names(await q('devices', `metadata.namespace=${ns}`)),
        otherNamespace: names(await q('devices', 'metadata.namespace=elsewhere')),
        unsupported: seen(await q('devices', 'spec.board=mps2-an385')),
        unsupportedCore: seen(await q('configmaps', 'data.a=1')),
        kubectl: await s.kubectl('viewer', [
          'get',
          'devices',
          '-n',
          ns,
          '--field-selector',
          'metadata.name=d3',
          '-o',
          'name',
        ]),
      };
    },
    expect: o => {
      assert.deepEqual(o.byName, ['d2']);
      assert.deepEqual(o.notName, ['d1', 'd3']);
      assert.deepEqual(o.byNamespace, ['d1', 'd2', 'd3']);
      assert.deepEqual(o.otherNamespace, []);
      expectCode(o, 'unsupported', 400, 'BadRequest');
      expectCode(o, 'unsupportedCore', 400, 'BadRequest');
      assert.equal(at(o, 'kubectl.stdout'), 'device.wasmbed.io/d3\n');
    },
  },
  {
    name: 'list: limit and continue pagination',
    run: async (s, ns) => {
      await createDevices(s, ns, { d1: {}, d2: {}, d3: {}, d4: {}, d5: {} });
      const pages: unknown[] = [];
      let next: string | undefined;
      do {
        const a = await s.req(
          'viewer',
          'GET',
          `${nsPath(ns, 'devices')}?limit=2${next ? `&continue=${encodeURIComponent(next)}` : ''}`,
        );
        const meta = at(a.body, 'metadata') as { continue?: string; remainingItemCount?: number };
        pages.push({ code: a.code, names: names(a), metadata: meta });
        next = meta?.continue || undefined;
      } while (next && pages.length < 10);
      const badToken = await s.req(
        'viewer',
        'GET',
        `${nsPath(ns, 'devices')}?limit=2&continue=not-a-token`,
      );
      const chunked = await s.kubectl('viewer', [
        'get',
        'devices',
        '-n',
        ns,
        '--chunk-size=2',
        '-o',
        'name',
      ]);
      return {
        pages,
        badToken: { code: badToken.code, reason: at(badToken.body, 'reason') },
        chunked: chunked.stdout,
      };
    },
    expect: o => {
      const pages = o.pages as {
        names: string[];
        metadata: { continue?: string; remainingItemCount?: number };
      }[];
      assert.deepEqual(
        pages.map(p => p.names),
        [['d1', 'd2'], ['d3', 'd4'], ['d5']],
      );
      assert.equal(pages[0]!.metadata.remainingItemCount, 3);
      assert.equal(pages[1]!.metadata.remainingItemCount, 1);
      assert.ok(!pages[2]!.metadata.continue, 'no continue token on the last page');
      assert.equal(at(o, 'badToken.code'), 400);
      assert.equal(String(o.chunked).split('\n').filter(Boolean).length, 5);
    },
  },
  {
    name: "list: snapshots (later pages and resourceVersionMatch=Exact see the first read's state)",
    run: async (s, ns) => {
      await createDevices(s, ns, { d1: {}, d2: {}, d3: {}, d4: {}, d5: {} });
      const first = await s.req('viewer', 'GET', `${nsPath(ns, 'devices')}?limit=2`);
      const token = String(at(first.body, 'metadata.continue') ?? '');
      const snapshotRv = String(at(first.body, 'metadata.resourceVersion'));
      // Changes after the first page: one deleted, two created, one relabelled.
      await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd3'));
      await createDevices(s, ns, { d0: {}, d6: {} });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd4'), {
        body: { metadata: { labels: { late: 'yes' } } },
        contentType: 'application/merge-patch+json',
      });
      const pages: string[][] = [names(first)];
      let next = token;
      while (next && pages.length < 10) {
        const page = await s.req(
          'viewer',
          'GET',
          `${nsPath(ns, 'devices')}?limit=2&continue=${encodeURIComponent(next)}`,
        );
        pages.push(names(page));
        const labels = (
          (
            page.body as {
              items?: { metadata: { name: string; labels?: Record<string, string> } }[];
            }
          ).items ?? []
        ).find(i => i.metadata.name === 'd4')?.metadata.labels;
        if (labels && Object.keys(labels).length)
          pages.push([`d4 labels ${JSON.stringify(labels)}`]);
        next = String(at(page.body, 'metadata.continue') ?? '');
      }
      const exact = await s.req(
        'viewer',
        'GET',
        `${nsPath(ns, 'devices')}?resourceVersion=${snapshotRv}&resourceVersionMatch=Exact`,
      );
      const current = await s.req('viewer', 'GET', nsPath(ns, 'devices'));
      return { pages, exact: { code: exact.code, names: names(exact) }, current: names(current) };
    },
    expect: o => {
      assert.deepEqual(
        o.pages,
        [['d1', 'd2'], ['d3', 'd4'], ['d5']],
        "later pages come from the first page's snapshot",
      );
      assert.deepEqual(at(o, 'exact.names'), ['d1', 'd2', 'd3', 'd4', 'd5']);
      assert.deepEqual(o.current, ['d0', 'd1', 'd2', 'd4', 'd5', 'd6']);
    },
  },
  {
    name: 'update: concurrent writers (one create of a name wins; one update per resourceVersion wins)',
    run: async (s, ns) => {
      const creates = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          s.req('editor', 'POST', nsPath(ns, 'devices'), {
            body: device(ns, 'race', { labels: { writer: String(i) } }),
          }),
        ),
      );
      const base = (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'race'))).body as {
        metadata: Record<string, unknown>;
      };
      const updates = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          s.req('editor', 'PUT', nsPath(ns, 'devices', 'race'), {
            body: { ...base, metadata: { ...base.metadata, labels: { updater: String(i) } } },
          }),
        ),
      );
      const count = (codes: number[]) =>
        codes.reduce<Record<number, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
      const final = (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'race'))).body as {
        metadata: { labels?: Record<string, string>; generation?: number };
      };
      const winner = updates.findIndex(u => u.code === 200);
      return {
        creates: count(creates.map(c => c.code)),
        updates: count(updates.map(u => u.code)),
        finalIsWinner: final.metadata.labels?.updater === String(winner),
        generation: final.metadata.generation,
      };
    },
    expect: o => {
      assert.deepEqual(o.creates, { 201: 1, 409: 11 });
      assert.deepEqual(o.updates, { 200: 1, 409: 11 });
      assert.equal(o.finalIsWinner, true);
    },
  },
];
