/** Authentication and authorisation: each user × the verbs that tell the roles apart. */
import { assert, at, nsPath, type Case } from '../case';
import { configMap, device, gateway, secret } from '../fixtures';
import type { ServerUnderTest, User } from '../servers';

const MERGE = 'application/merge-patch+json';
const DRY = '?dryRun=All';

interface Action {
  name: string;
  run(s: ServerUnderTest, user: User, ns: string): Promise<{ code: number; body: unknown }>;
}

const label = { metadata: { labels: { touched: 'yes' } } };
const lease = (ns: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'l2', namespace: ns },
  spec: { holderIdentity: 'gw-a' },
});
const event = (ns: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'e1', namespace: ns },
  involvedObject: { apiVersion: 'wasmbed.io/v1alpha1', kind: 'Device', name: 'd1', namespace: ns },
  reason: 'Connected',
  message: 'up',
  type: 'Normal',
});

/** Creates and deletes use dryRun: authorisation is checked all the same, and the matrix stays repeatable. */
const ACTIONS: Action[] = [
  { name: 'list devices', run: (s, u, ns) => s.req(u, 'GET', nsPath(ns, 'devices')) },
  { name: 'get device', run: (s, u, ns) => s.req(u, 'GET', nsPath(ns, 'devices', 'd1')) },
  {
    name: 'create device',
    run: (s, u, ns) => s.req(u, 'POST', nsPath(ns, 'devices') + DRY, { body: device(ns, 'd2') }),
  },
  {
    name: 'patch device',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'devices', 'd1'), { body: label, contentType: MERGE }),
  },
  {
    name: 'delete device',
    run: (s, u, ns) => s.req(u, 'DELETE', nsPath(ns, 'devices', 'd1') + DRY),
  },
  {
    name: 'patch devices/status',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'devices', 'd1', 'status'), {
        body: { status: { phase: 'Connected' } },
        contentType: MERGE,
      }),
  },
  {
    name: 'patch gateways/gw-a/status',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'gateways', 'gw-a', 'status'), {
        body: { status: { phase: 'Ready' } },
        contentType: MERGE,
      }),
  },
  {
    name: 'patch gateways/gw-b/status',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'gateways', 'gw-b', 'status'), {
        body: { status: { phase: 'Ready' } },
        contentType: MERGE,
      }),
  },
  {
    name: 'patch gateway gw-a',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'gateways', 'gw-a'), { body: label, contentType: MERGE }),
  },
  { name: 'get secret', run: (s, u, ns) => s.req(u, 'GET', nsPath(ns, 'secrets', 's1')) },
  {
    name: 'patch secret',
    run: (s, u, ns) =>
      s.req(u, 'PATCH', nsPath(ns, 'secrets', 's1'), { body: label, contentType: MERGE }),
  },
  { name: 'list secrets', run: (s, u, ns) => s.req(u, 'GET', nsPath(ns, 'secrets')) },
  {
    name: 'create secret',
    run: (s, u, ns) =>
      s.req(u, 'POST', nsPath(ns, 'secrets') + DRY, { body: secret(ns, 's2', { a: 'b' }) }),
  },
  { name: 'list configmaps', run: (s, u, ns) => s.req(u, 'GET', nsPath(ns, 'configmaps')) },
  {
    name: 'create configmap',
    run: (s, u, ns) =>
      s.req(u, 'POST', nsPath(ns, 'configmaps') + DRY, { body: configMap(ns, 'c2', {}) }),
  },
  {
    name: 'create lease',
    run: (s, u, ns) => s.req(u, 'POST', nsPath(ns, 'leases') + DRY, { body: lease(ns) }),
  },
  {
    name: 'create event',
    run: (s, u, ns) => s.req(u, 'POST', nsPath(ns, 'events') + DRY, { body: event(ns) }),
  },
  { name: 'list namespaces', run: (s, u) => s.req(u, 'GET', '/api/v1/namespaces') },
  {
    name: 'create namespace',
    run: (s, u) =>
      s.req(u, 'POST', '/api/v1/namespaces' + DRY, {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'not-made' } },
      }),
  },
  { name: 'get /version', run: (s, u) => s.req(u, 'GET', '/version') },
  { name: 'get /apis', run: (s, u) => s.req(u, 'GET', '/apis') },
  { name: 'get /healthz', run: (s, u) => s.req(u, 'GET', '/healthz') },
];

/** What the role table grants: true = allowed (2xx), false = 403. */
const ALLOWED: Record<Exclude<User, 'stranger'>, Record<string, boolean>> = {
  admin: Object.fromEntries(ACTIONS.map(a => [a.name, true])),
  editor: Object.fromEntries(ACTIONS.map(a => [a.name, a.name !== 'create namespace'])),
  viewer: Object.fromEntries(
    ACTIONS.map(a => [
      a.name,
      [
        'list devices',
        'get device',
        'list configmaps',
        'list namespaces',
        'get /version',
        'get /apis',
        'get /healthz',
      ].includes(a.name),
    ]),
  ),
  gateway: Object.fromEntries(
    ACTIONS.map(a => [
      a.name,
      [
        'list devices',
        'get device',
        'patch devices/status',
        'patch gateways/gw-a/status',
        'patch gateway gw-a',
        'get secret',
        'patch secret',
        'create secret',
        'list configmaps',
        'create lease',
        'create event',
        'get /version',
        'get /apis',
        'get /healthz',
      ].includes(a.name),
    ]),
  ),
  nobody: Object.fromEntries(
    ACTIONS.map(a => [a.name, ['get /version', 'get /apis', 'get /healthz'].includes(a.name)]),
  ),
};

async function setUp(s: ServerUnderTest, ns: string) {
  for (const [resource, body] of [
    ['devices', device(ns, 'd1')],
    ['gateways', gateway(ns, 'gw-a')],
    ['gateways', gateway(ns, 'gw-b')],
    ['secrets', secret(ns, 's1', { token: 'abc' })],
    ['configmaps', configMap(ns, 'c1', { a: '1' })],
  ] as const) {
    const a = await s.req('admin', 'POST', nsPath(ns, resource), { body });
    if (a.code !== 201) throw new Error(`set-up ${resource}: HTTP ${a.code}`);
  }
}

function matrixCase(user: Exclude<User, 'stranger'>): Case {
  return {
    name: `authz: ${user} × verbs`,
    run: async (s, ns) => {
      await setUp(s, ns);
      const out: Record<string, unknown> = {};
      for (const a of ACTIONS) {
        const r = await a.run(s, user, ns);
        out[a.name] =
          r.code === 403
            ? {
                code: r.code,
                reason: at(r.body, 'reason'),
                message: at(r.body, 'message'),
                details: at(r.body, 'details'),
              }
            : { code: r.code };
      }
      return out;
    },
    expect: o => {
      for (const a of ACTIONS) {
        const code = at(o, `${a.name}.code`) as number;
        if (ALLOWED[user][a.name])
          assert.ok(code >= 200 && code < 300, `${user} may ${a.name}: got ${code}`);
        else {
          assert.equal(code, 403, `${user} may not ${a.name}`);
          assert.equal(at(o, `${a.name}.reason`), 'Forbidden');
        }
      }
    },
  };
}

export const authCases: Case[] = [
  ...(['admin', 'editor', 'viewer', 'gateway', 'nobody'] as const).map(matrixCase),
  {
    name: 'authn: unknown token → 401, no token, kubectl as a stranger and as viewer',
    run: async (s, ns) => {
      const unknown = await s.req('stranger', 'GET', nsPath(ns, 'devices'));
      const unknownVersion = await s.req('stranger', 'GET', '/version');
      const { request } = await import('../http');
      const none = await request(s.target, undefined, 'GET', nsPath(ns, 'devices'));
      const noneHealth = await request(s.target, undefined, 'GET', '/healthz');
      const kubectlStranger = await s.kubectl('stranger', ['get', 'devices', '-n', ns]);
      const kubectlViewer = await s.kubectl(
        'viewer',
        ['create', '-n', ns, '-f', '-'],
        JSON.stringify(device(ns, 'd1')),
      );
      return {
        unknown: { code: unknown.code, body: unknown.body },
        unknownVersion: unknownVersion.code,
        none: { code: none.code, reason: at(none.body, 'reason') },
        noneHealth: { code: noneHealth.code, body: noneHealth.body },
        kubectlStranger,
        kubectlViewer,
      };
    },
    expect: o => {
      assert.equal(at(o, 'unknown.code'), 401);
      assert.equal(at(o, 'unknown.body.reason'), 'Unauthorized');
      assert.equal(at(o, 'unknown.body.kind'), 'Status');
      assert.equal(o.unknownVersion, 401);
      assert.equal(at(o, 'noneHealth.code'), 200);
      assert.equal(at(o, 'kubectlStranger.code'), 1);
      assert.match(String(at(o, 'kubectlStranger.stderr')), /Unauthorized/);
      assert.match(
        String(at(o, 'kubectlViewer.stderr')),
        /User "viewer" cannot create resource "devices" in API group "wasmbed.io"/,
      );
    },
  },
  {
    name: 'admission: a gateway reports only for devices no other gateway holds, registers only its own Gateway',
    run: async (s, ns) => {
      await setUp(s, ns);
      const path = nsPath(ns, 'devices', 'd1', 'status');
      const holdBy = (gateway: string, phase: string) =>
        s.req('admin', 'PATCH', path, {
          body: { status: { gateway, phase } },
          contentType: MERGE,
        });
      const report = () =>
        s.req('gateway', 'PATCH', path, {
          body: { status: { gateway: 'gw-a', phase: 'Connected' } },
          contentType: MERGE,
        });
      const summary = (r: { code: number; body: unknown }) =>
        r.code === 403
          ? { code: r.code, reason: at(r.body, 'reason'), message: at(r.body, 'message') }
          : { code: r.code, holder: at(r.body, 'status.gateway') };
      // kube loads a new policy asynchronously: wait until it refuses (at most 20 s).
      let heldByB = { code: 0 } as Record<string, unknown>;
      for (let i = 0; i < 80; i++) {
        await holdBy('gw-b', 'Connected');
        heldByB = summary(await report());
        if (heldByB.code === 403) break;
        await new Promise(r => setTimeout(r, 250));
      }
      await holdBy('gw-b', 'Disconnected');
      const releasedByB = summary(await report());
      const heldByA = summary(await report());
      const gatewayBody = (name: string) => ({
        ...gateway(ns, name),
        metadata: { name, namespace: ns },
      });
      const createOther = await s.req('gateway', 'POST', nsPath(ns, 'gateways') + DRY, {
        body: gatewayBody('gw-c'),
      });
      await s.req('admin', 'DELETE', nsPath(ns, 'gateways', 'gw-a'));
      const createOwn = await s.req('gateway', 'POST', nsPath(ns, 'gateways') + DRY, {
        body: gatewayBody('gw-a'),
      });
      return {
        heldByB,
        releasedByB,
        heldByA,
        createOther: summary(createOther),
        createOwn: createOwn.code,
      };
    },
    expect: o => {
      assert.equal(at(o, 'heldByB.code'), 403);
      assert.equal(at(o, 'heldByB.reason'), 'Forbidden');
      assert.match(String(at(o, 'heldByB.message')), /device d1 is held by gateway gw-b/);
      assert.equal(at(o, 'releasedByB.code'), 200);
      assert.equal(at(o, 'releasedByB.holder'), 'gw-a');
      assert.equal(at(o, 'heldByA.code'), 200);
      assert.equal(at(o, 'createOther.code'), 403);
      assert.match(String(at(o, 'createOther.message')), /only the Gateway named gw-a/);
      assert.equal(at(o, 'createOwn'), 201);
    },
  },
];
