/**
 * Requests that name something not served, or carry hostile query parameters: the Status
 * kube-apiserver gives, and the server still serves afterwards.
 */
import { assert, at, names, nsPath, WASMBED, type Case } from '../case';
import { device } from '../fixtures';

const refusal = (a: { code: number; body: unknown }) => ({
  code: a.code,
  kind: at(a.body, 'kind') ?? (typeof a.body === 'string' ? 'text' : undefined),
  reason: at(a.body, 'reason'),
  message: at(a.body, 'message'),
  details: at(a.body, 'details'),
});

export const routingCases: Case[] = [
  {
    // kube-apiserver authorises before it routes: a user without a grant is told 403 about
    // a resource that does not exist; only a user allowed everything sees the 404.
    name: 'routing: unknown resource, group, version, subresource; wrong method',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const get = (user: 'admin' | 'editor', p: string) => s.req(user, 'GET', p).then(refusal);
      const paths = {
        unknownResource: `${WASMBED}/namespaces/${ns}/widgets`,
        unknownGroup: `/apis/nope.example.com/v1/namespaces/${ns}/things`,
        unknownVersion: `/apis/wasmbed.io/v9/namespaces/${ns}/devices`,
        unknownGroupDoc: '/apis/nope.example.com',
        unknownSubresource: `${nsPath(ns, 'devices', 'd1')}/console`,
        configMapStatus: `${nsPath(ns, 'configmaps', 'c1')}/status`,
      };
      const admin: Record<string, unknown> = {};
      const editor: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(paths)) {
        admin[k] = await get('admin', p);
        editor[k] = await get('editor', p);
      }
      return {
        admin,
        editor,
        putCollection: await s
          .req('editor', 'PUT', nsPath(ns, 'devices'), { body: device(ns, 'd1') })
          .then(refusal),
        postStatus: await s
          .req('editor', 'POST', nsPath(ns, 'devices', 'd1', 'status'), { body: device(ns, 'd1') })
          .then(refusal),
        stillServes: (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'))).code,
      };
    },
    expect: o => {
      for (const k of [
        'unknownResource',
        'unknownGroup',
        'unknownVersion',
        'unknownGroupDoc',
        'unknownSubresource',
        'configMapStatus',
      ]) {
        assert.equal(at(o, `admin.${k}.code`), 404, `admin ${k}: 404`);
      }
      assert.equal(at(o, 'editor.unknownResource.code'), 403, 'authorisation comes before routing');
      assert.equal(at(o, 'putCollection.code'), 400);
      assert.equal(at(o, 'postStatus.code'), 405);
      assert.equal(o.stillServes, 200);
    },
  },
  {
    name: 'routing: create in a missing namespace, and in a terminating one',
    run: async (s, ns) => {
      const missing = await s
        .req('editor', 'POST', nsPath('no-such-namespace', 'devices'), {
          body: device('no-such-namespace', 'd1'),
        })
        .then(refusal);
      const missingCm = await s
        .req('editor', 'POST', nsPath('no-such-namespace', 'configmaps'), {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } },
        })
        .then(refusal);
      // A namespace being deleted: kube keeps it Terminating while content remains (no
      // namespace controller runs on either server), and refuses new content in it.
      const doomed = `${ns.slice(0, 55)}-x`;
      await s.req('admin', 'POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: doomed } },
      });
      await s.req('editor', 'POST', nsPath(doomed, 'devices'), { body: device(doomed, 'before') });
      const del = await s.req('admin', 'DELETE', `/api/v1/namespaces/${doomed}`);
      const createAfter = await s
        .req('editor', 'POST', nsPath(doomed, 'devices'), { body: device(doomed, 'after') })
        .then(refusal);
      const nsAfter = await s.req('viewer', 'GET', `/api/v1/namespaces/${doomed}`);
      return {
        missing,
        missingCm,
        deleted: {
          code: del.code,
          phase: at(del.body, 'status.phase'),
          deletionTimestamp: at(del.body, 'metadata.deletionTimestamp'),
          finalizers: at(del.body, 'spec.finalizers'),
        },
        createAfter,
        nsAfter: { code: nsAfter.code, phase: at(nsAfter.body, 'status.phase') },
        contents: names(await s.req('viewer', 'GET', nsPath(doomed, 'devices'))),
      };
    },
    expect: o => {
      assert.equal(at(o, 'missing.code'), 404);
      assert.equal(at(o, 'missing.message'), 'namespaces "no-such-namespace" not found');
      assert.equal(at(o, 'missingCm.code'), 404);
      assert.equal(at(o, 'createAfter.code'), 403);
      assert.equal(at(o, 'createAfter.reason'), 'Forbidden');
    },
  },
  {
    name: 'routing: hostile query parameters',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const list = (q: string) =>
        s
          .req('viewer', 'GET', `${nsPath(ns, 'devices')}?${q}`)
          .then(r => ({ code: r.code, reason: at(r.body, 'reason'), items: names(r) }));
      const create = (q: string, name: string) =>
        s
          .req('editor', 'POST', `${nsPath(ns, 'devices')}?${q}`, { body: device(ns, name) })
          .then(r => ({ code: r.code, reason: at(r.body, 'reason') }));
      return {
        limitText: await list('limit=abc'),
        limitNegative: await list('limit=-1'),
        limitHuge: await list('limit=99999999999999999999'),
        rvMatchBogus: await list('resourceVersion=0&resourceVersionMatch=Bogus'),
        rvMatchWithoutRv: await list('resourceVersionMatch=NotOlderThan'),
        rvText: await list('resourceVersion=abc'),
        timeoutText: await list('watch=1&timeoutSeconds=abc'),
        selectorGarbage: await list(`labelSelector=${encodeURIComponent('a=b=c,,(')}`),
        fieldValidationBogus: await create('fieldValidation=Bogus', 'd2'),
        dryRunBogus: await create('dryRun=Maybe', 'd3'),
        fieldManagerLong: await create(`fieldManager=${'m'.repeat(200)}`, 'd4'),
        stored: names(await s.req('viewer', 'GET', nsPath(ns, 'devices'))),
      };
    },
    expect: o => {
      assert.equal(at(o, 'limitText.code'), 400);
      assert.equal(at(o, 'rvMatchBogus.code'), 422);
      assert.equal(at(o, 'fieldValidationBogus.code'), 422);
      assert.equal(at(o, 'dryRunBogus.code'), 422);
      assert.equal(at(o, 'fieldManagerLong.code'), 422);
      assert.deepEqual(o.stored, ['d1']);
    },
  },
];
