/** Delete: finalizers and deletionTimestamp, kubectl delete --wait, preconditions, deletecollection. */
import { assert, at, expectCode, names, nsPath, seen, type Case } from '../case';
import { configMap, device } from '../fixtures';
import type { ServerUnderTest } from '../servers';

const MERGE = 'application/merge-patch+json';
const HOLD = 'wasmbed.io/hold';

const held = (ns: string, name: string) => device(ns, name, { metadata: { finalizers: [HOLD] } });

const terminating = (a: { code: number; body: unknown }) => ({
  code: a.code,
  kind: at(a.body, 'kind'),
  generation: at(a.body, 'metadata.generation'),
  deletionTimestamp: at(a.body, 'metadata.deletionTimestamp'),
  deletionGracePeriodSeconds: at(a.body, 'metadata.deletionGracePeriodSeconds'),
  finalizers: at(a.body, 'metadata.finalizers'),
});

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise(r => setTimeout(r, 100));
  }
  return false;
}

async function labelled(s: ServerUnderTest, ns: string) {
  for (const [name, tier] of [
    ['d1', 'edge'],
    ['d2', 'edge'],
    ['d3', 'core'],
    ['d4', 'core'],
    ['d5', 'lab'],
  ] as const) {
    await s.req('editor', 'POST', nsPath(ns, 'devices'), {
      body: device(ns, name, { labels: { tier } }),
    });
  }
}

export const deleteCases: Case[] = [
  {
    name: 'delete: finalizers hold the object (deletionTimestamp, generation), release deletes it',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: held(ns, 'd1') });
      const del = await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
      const get = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      const again = await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
      // While terminating, a new finalizer may not be added.
      const addFinalizer = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: [HOLD, 'wasmbed.io/other'] } },
        contentType: MERGE,
      });
      const specChange = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { spec: { revoked: true } },
        contentType: MERGE,
      });
      const listed = names(await s.req('viewer', 'GET', nsPath(ns, 'devices')));
      const release = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: null } },
        contentType: MERGE,
      });
      const gone = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return {
        del: terminating(del),
        get: terminating(get),
        again: terminating(again),
        addFinalizer: {
          code: addFinalizer.code,
          reason: at(addFinalizer.body, 'reason'),
          message: at(addFinalizer.body, 'message'),
          causes: at(addFinalizer.body, 'details.causes'),
        },
        specChange: terminating(specChange),
        listed,
        release: terminating(release),
        gone: { code: gone.code, reason: at(gone.body, 'reason') },
      };
    },
    expect: o => {
      assert.equal(at(o, 'del.code'), 200);
      assert.equal(at(o, 'del.deletionTimestamp'), '<time>');
      assert.equal(at(o, 'del.generation'), 2, 'setting deletionTimestamp bumps generation');
      assert.equal(at(o, 'get.code'), 200, 'held by its finalizer');
      assert.deepEqual(o.listed, ['d1']);
      assert.equal(at(o, 'release.code'), 200);
      assert.equal(at(o, 'gone.code'), 404, 'released: deleted');
    },
  },
  {
    name: 'delete: kubectl delete --wait returns when another client releases the finalizer',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: held(ns, 'd1') });
      const started = Date.now();
      let exitedAt = 0;
      const deleting = s
        .kubectl('editor', ['delete', 'device', 'd1', '-n', ns, '--wait=true', '--timeout=40s'])
        .then(r => {
          exitedAt = Date.now();
          return r;
        });
      const marked = await pollUntil(
        async () =>
          at(
            (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'))).body,
            'metadata.deletionTimestamp',
          ) !== undefined,
        20_000,
      );
      await new Promise(r => setTimeout(r, 1500)); // kubectl is now waiting on the held object
      const waitingWhileHeld = exitedAt === 0;
      const patched = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: [] } },
        contentType: MERGE,
      });
      const result = await deleting;
      return {
        marked,
        waitingWhileHeld,
        patched: patched.code,
        result,
        seconds: Math.round((exitedAt - started) / 1000) >= 1,
      };
    },
    expect: o => {
      assert.equal(o.marked, true, 'deletionTimestamp set while kubectl waits');
      assert.equal(
        o.waitingWhileHeld,
        true,
        'kubectl did not return while the finalizer held the object',
      );
      assert.equal(at(o, 'result.code'), 0);
      assert.equal(at(o, 'result.stdout'), 'device.wasmbed.io "d1" deleted\n');
    },
  },
  {
    name: 'delete: preconditions (uid, resourceVersion)',
    run: async (s, ns) => {
      const created = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1'),
      });
      const uid = String(at(created.body, 'metadata.uid'));
      const rv = String(at(created.body, 'metadata.resourceVersion'));
      const del = (preconditions: unknown) =>
        s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'), {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions },
        });
      const wrongUid = await del({ uid: '00000000-0000-0000-0000-000000000000' });
      const wrongRv = await del({ resourceVersion: '1' });
      const stillThere = (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'))).code;
      const right = await del({ uid, resourceVersion: rv });
      return {
        wrongUid: seen(wrongUid),
        wrongRv: seen(wrongRv),
        stillThere,
        right: {
          code: right.code,
          kind: at(right.body, 'kind'),
          status: at(right.body, 'status'),
          details: at(right.body, 'details'),
        },
      };
    },
    expect: o => {
      expectCode(o, 'wrongUid', 409, 'Conflict');
      assert.match(
        String(at(o, 'wrongUid.body.message')),
        /the UID in the precondition \(<uid:\d>\) does not match the UID in record \(<uid:\d>\)/,
      );
      expectCode(o, 'wrongRv', 409, 'Conflict');
      assert.equal(o.stillThere, 200);
      assert.equal(at(o, 'right.code'), 200);
    },
  },
  {
    name: 'delete: answers (custom resource, ConfigMap, missing, kubectl)',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd2') });
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c1', { a: '1' }),
      });
      return {
        device: seen(await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'))),
        configMap: seen(await s.req('editor', 'DELETE', nsPath(ns, 'configmaps', 'c1'))),
        missing: seen(await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'))),
        kubectl: await s.kubectl('editor', ['delete', 'device', 'd2', '-n', ns]),
        kubectlMissing: await s.kubectl('editor', ['delete', 'device', 'd2', '-n', ns]),
        left: names(await s.req('viewer', 'GET', nsPath(ns, 'devices'))),
      };
    },
    expect: o => {
      assert.equal(at(o, 'device.code'), 200);
      assert.equal(at(o, 'configMap.code'), 200);
      expectCode(o, 'missing', 404, 'NotFound');
      assert.equal(at(o, 'kubectl.stdout'), 'device.wasmbed.io "d2" deleted\n');
      assert.equal(at(o, 'kubectlMissing.code'), 1);
      assert.deepEqual(o.left, []);
    },
  },
  {
    name: 'delete: deletecollection with a label selector (HTTP and kubectl)',
    run: async (s, ns) => {
      await labelled(s, ns);
      const del = await s.req(
        'editor',
        'DELETE',
        `${nsPath(ns, 'devices')}?labelSelector=${encodeURIComponent('tier=edge')}`,
      );
      const afterHttp = names(await s.req('viewer', 'GET', nsPath(ns, 'devices')));
      const kubectl = await s.kubectl('editor', ['delete', 'devices', '-n', ns, '-l', 'tier=core']);
      const left = names(await s.req('viewer', 'GET', nsPath(ns, 'devices')));
      const viewer = await s.req('viewer', 'DELETE', nsPath(ns, 'devices'));
      return {
        del: {
          code: del.code,
          kind: at(del.body, 'kind'),
          apiVersion: at(del.body, 'apiVersion'),
          names: names(del).sort(),
        },
        afterHttp,
        kubectl,
        left,
        viewer: seen(viewer),
      };
    },
    expect: o => {
      assert.equal(at(o, 'del.code'), 200);
      assert.deepEqual(o.afterHttp, ['d3', 'd4', 'd5']);
      assert.deepEqual(o.left, ['d5']);
      expectCode(o, 'viewer', 403, 'Forbidden');
    },
  },
];
