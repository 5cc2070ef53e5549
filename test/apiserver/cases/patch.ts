/** Patches: JSON merge, JSON patch (and a failing test op), strategic merge, server-side apply. */
import { assert, at, expectCode, nsPath, seen, type Case } from '../case';
import { configMap, device, manifest } from '../fixtures';

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

const brief = (a: { code: number; body: unknown }) => ({
  code: a.code,
  generation: at(a.body, 'metadata.generation'),
  labels: at(a.body, 'metadata.labels'),
  spec: at(a.body, 'spec'),
  data: at(a.body, 'data'),
  reason: at(a.body, 'reason'),
  message: at(a.body, 'message'),
  details: at(a.body, 'details'),
});

export const patchCases: Case[] = [
  {
    name: 'patch: JSON merge patch',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { labels: { a: '1', keep: 'yes' } }),
      });
      const p = (body: unknown) =>
        s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), { body, contentType: MERGE });
      return {
        merged: brief(
          await p({ metadata: { labels: { b: '2', a: null } }, spec: { architecture: 'armv7-m' } }),
        ),
        labelsOnly: brief(await p({ metadata: { labels: { c: '3' } } })),
        nulled: brief(await p({ spec: { architecture: null } })),
        missing: seen(
          await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'nope'), {
            body: { metadata: { labels: { a: 'b' } } },
            contentType: MERGE,
          }),
        ),
        decoder: {
          notJson: seen(
            await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
              body: '{"metadata":',
              contentType: MERGE,
            }),
          ),
        },
      };
    },
    expect: o => {
      assert.deepEqual(at(o, 'merged.labels'), { b: '2', keep: 'yes' });
      assert.equal(at(o, 'merged.spec.architecture'), 'armv7-m');
      assert.equal(at(o, 'merged.generation'), 2);
      assert.equal(at(o, 'labelsOnly.generation'), 2);
      assert.equal(at(o, 'nulled.spec.architecture'), undefined);
      assert.equal(at(o, 'nulled.generation'), 3);
      expectCode(o, 'missing', 404, 'NotFound');
      assert.equal(at(o, 'decoder.notJson.code'), 400);
    },
  },
  {
    name: 'patch: JSON patch, a failing test op, a missing path',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { spec: { architecture: 'armv7-m' } }),
      });
      const p = (body: unknown) =>
        s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), { body, contentType: JSON_PATCH });
      return {
        applied: brief(
          await p([
            { op: 'test', path: '/spec/board', value: 'mps2-an385' },
            { op: 'remove', path: '/spec/architecture' },
            { op: 'replace', path: '/spec/board', value: 'mps2-an500' },
            { op: 'add', path: '/metadata/labels', value: { tier: 'edge' } },
          ]),
        ),
        failedTest: seen(
          await p([
            { op: 'test', path: '/spec/board', value: 'nrf52840-dk' },
            { op: 'replace', path: '/spec/board', value: 'mps2-an505' },
          ]),
        ),
        missingPath: seen(await p([{ op: 'remove', path: '/spec/gateway' }])),
        notAnArray: seen(await p({ op: 'add', path: '/spec/revoked', value: true })),
        unknownOp: seen(await p([{ op: 'frobnicate', path: '/spec/revoked', value: true }])),
        after: brief(await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'))),
      };
    },
    expect: o => {
      assert.equal(at(o, 'applied.code'), 200);
      assert.equal(at(o, 'applied.spec.board'), 'mps2-an500');
      assert.deepEqual(at(o, 'applied.labels'), { tier: 'edge' });
      assert.notEqual(at(o, 'failedTest.code'), 200, 'a failed test op refuses the whole patch');
      assert.notEqual(at(o, 'missingPath.code'), 200);
      assert.equal(at(o, 'after.spec.board'), 'mps2-an500', 'refused patches changed nothing');
    },
  },
  {
    name: 'patch: strategic merge (415 on a custom resource; a ConfigMap; kubectl apply twice)',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const onCr = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { labels: { a: 'b' } } },
        contentType: STRATEGIC,
      });
      const unknownType = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: {} },
        contentType: 'application/x-frobnicate',
      });
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c0', { a: '1' }),
      });
      const onCm = await s.req('editor', 'PATCH', nsPath(ns, 'configmaps', 'c0'), {
        body: { data: { b: '2' } },
        contentType: STRATEGIC,
      });
      const first = await s.kubectl(
        'editor',
        ['apply', '-n', ns, '-f', '-'],
        manifest(configMap(ns, 'c1', { a: '1', b: '2' })),
      );
      const second = await s.kubectl(
        'editor',
        ['apply', '-n', ns, '-f', '-'],
        manifest(configMap(ns, 'c1', { a: '1', c: '3' })),
      );
      const got = await s.req('viewer', 'GET', nsPath(ns, 'configmaps', 'c1'));
      return {
        onCr: seen(onCr),
        unknownType: { code: unknownType.code, reason: at(unknownType.body, 'reason') },
        onCm: brief(onCm),
        first,
        second,
        data: at(got.body, 'data'),
        lastApplied: JSON.parse(
          String(
            at(got.body, 'metadata.annotations')?.[
              'kubectl.kubernetes.io/last-applied-configuration' as never
            ] ?? 'null',
          ),
        ),
      };
    },
    expect: o => {
      expectCode(o, 'onCr', 415, 'UnsupportedMediaType');
      assert.equal(at(o, 'unknownType.code'), 415);
      assert.deepEqual(at(o, 'onCm.data'), { a: '1', b: '2' });
      assert.equal(at(o, 'first.stdout'), 'configmap/c1 created\n');
      assert.equal(at(o, 'second.stdout'), 'configmap/c1 configured\n');
      assert.deepEqual(o.data, { a: '1', c: '3' }, 'the key removed from the manifest is removed');
    },
  },
  {
    name: 'apply: server-side apply with two managers, a conflict, force, managedFields',
    run: async (s, ns) => {
      const apply = (manager: string, body: unknown, force = false) =>
        s.req(
          'editor',
          'PATCH',
          `${nsPath(ns, 'devices', 'd1')}?fieldManager=${manager}${force ? '&force=true' : ''}`,
          { body, contentType: APPLY },
        );
      const alphaObj = device(ns, 'd1', { labels: { owner: 'alpha' } });
      const created = await apply('alpha', alphaObj);
      const beta = await apply('beta', {
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: 'Device',
        metadata: { name: 'd1', labels: { team: 'beta' } },
      });
      const betaBoard = {
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: 'Device',
        metadata: { name: 'd1' },
        spec: { board: 'mps2-an500' },
      };
      const conflict = await apply('beta', betaBoard);
      const forced = await apply('beta', betaBoard, true);
      // A plain update by another client: an Update entry named after its user agent.
      const merged = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { spec: { revoked: true } },
        contentType: MERGE,
      });
      // alpha re-applies without .spec.board (beta owns it now) and drops its label.
      const alphaAgain = await apply('alpha', device(ns, 'd1', { spec: { board: undefined } }));
      const noManager = await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: betaBoard,
        contentType: APPLY,
      });
      const got = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return {
        created: { code: created.code, managedFields: at(created.body, 'metadata.managedFields') },
        beta: { code: beta.code, labels: at(beta.body, 'metadata.labels') },
        conflict: seen(conflict),
        forced: { code: forced.code, board: at(forced.body, 'spec.board') },
        merged: merged.code,
        alphaAgain: {
          code: alphaAgain.code,
          labels: at(alphaAgain.body, 'metadata.labels'),
          spec: at(alphaAgain.body, 'spec'),
        },
        noManager: {
          code: noManager.code,
          reason: at(noManager.body, 'reason'),
          message: at(noManager.body, 'message'),
        },
        managedFields: at(got.body, 'metadata.managedFields'),
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.code'), 201);
      assert.equal(
        (at(o, 'created.managedFields') as { manager: string; operation: string }[])[0]?.operation,
        'Apply',
      );
      assert.deepEqual(at(o, 'beta.labels'), { owner: 'alpha', team: 'beta' });
      expectCode(o, 'conflict', 409, 'Conflict');
      assert.deepEqual(at(o, 'conflict.body.details.causes'), [
        { reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.spec.board' },
      ]);
      assert.equal(at(o, 'forced.board'), 'mps2-an500');
      assert.equal(at(o, 'alphaAgain.spec.board'), 'mps2-an500', 'beta still owns the board');
      assert.equal(at(o, 'noManager.code'), 422, 'apply without fieldManager is refused');
      const managers = (o.managedFields as { manager: string; operation: string }[])
        .map(m => `${m.manager}/${m.operation}`)
        .sort();
      assert.deepEqual(managers, ['alpha/Apply', 'beta/Apply', 'wasmbed-api-conformance/Update']);
    },
  },
  {
    name: 'apply: server-side apply of status by two managers (map-keyed conditions, subresource in managedFields)',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const cond = (type: string, status: string) => ({
        type,
        status,
        reason: 'Checked',
        message: `${type} is ${status}`,
        lastTransitionTime: '2020-01-01T00:00:00Z',
      });
      const applyStatus = (manager: string, status: Record<string, unknown>, force = false) =>
        s.req(
          'gateway',
          'PATCH',
          `${nsPath(ns, 'devices', 'd1', 'status')}?fieldManager=${manager}${force ? '&force=true' : ''}`,
          {
            body: {
              apiVersion: 'wasmbed.io/v1alpha1',
              kind: 'Device',
              metadata: { name: 'd1' },
              status,
            },
            contentType: APPLY,
          },
        );
      const a = await applyStatus('gw-a', {
        phase: 'Connected',
        conditions: [cond('Ready', 'True')],
      });
      const b = await applyStatus('health', { conditions: [cond('Healthy', 'True')] });
      const clash = await applyStatus('health', { phase: 'Unreachable' });
      const dropA = await applyStatus('gw-a', { phase: 'Connected' });
      const stale = await s.req('gateway', 'PUT', nsPath(ns, 'devices', 'd1', 'status'), {
        body: { ...(a.body as object), status: { phase: 'Disconnected' } },
      });
      const got = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      const mf =
        (at(got.body, 'metadata.managedFields') as {
          manager: string;
          operation: string;
          subresource?: string;
          fieldsV1: unknown;
        }[]) ?? [];
      return {
        a: { code: a.code, conditions: at(a.body, 'status.conditions') },
        b: {
          code: b.code,
          types: (at(b.body, 'status.conditions') as { type: string }[] | undefined)?.map(
            c => c.type,
          ),
        },
        clash: seen(clash),
        dropA: {
          code: dropA.code,
          types: (at(dropA.body, 'status.conditions') as { type: string }[] | undefined)?.map(
            c => c.type,
          ),
        },
        stale: { code: stale.code, reason: at(stale.body, 'reason') },
        generation: at(got.body, 'metadata.generation'),
        managedFields: mf,
      };
    },
    expect: o => {
      assert.equal(at(o, 'a.code'), 200);
      assert.deepEqual(at(o, 'b.types'), ['Ready', 'Healthy'], 'conditions merge by type');
      expectCode(o, 'clash', 409, 'Conflict');
      assert.deepEqual(at(o, 'dropA.types'), ['Healthy'], 'a manager removes only what it owned');
      assert.equal(at(o, 'stale.code'), 409);
      assert.equal(o.generation, 1, 'status writes do not bump generation');
      const entries = (o.managedFields as { manager: string; subresource?: string }[])
        .map(m => `${m.manager}:${m.subresource ?? ''}`)
        .sort();
      assert.deepEqual(entries, ['gw-a:status', 'health:status', 'wasmbed-api-conformance:']);
    },
  },
  {
    name: 'apply: kubectl apply --server-side, conflict reported, --force-conflicts',
    run: async (s, ns) => {
      const first = await s.kubectl(
        'editor',
        ['apply', '--server-side', '-n', ns, '-f', '-'],
        manifest(device(ns, 'd1')),
      );
      const other = manifest(device(ns, 'd1', { spec: { board: 'mps2-an386' } }));
      const conflict = await s.kubectl(
        'editor',
        ['apply', '--server-side', '--field-manager=ops', '-n', ns, '-f', '-'],
        other,
      );
      const forced = await s.kubectl(
        'editor',
        ['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-n', ns, '-f', '-'],
        other,
      );
      const got = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      const mf =
        (at(got.body, 'metadata.managedFields') as {
          manager: string;
          operation: string;
          fieldsV1: unknown;
        }[]) ?? [];
      return { first, conflict, forced, board: at(got.body, 'spec.board'), managedFields: mf };
    },
    expect: o => {
      assert.equal(at(o, 'first.stdout'), 'device.wasmbed.io/d1 serverside-applied\n');
      assert.equal(at(o, 'conflict.code'), 1);
      assert.match(String(at(o, 'conflict.stderr')), /conflict with "kubectl": \.spec\.board/);
      assert.equal(at(o, 'forced.code'), 0);
      assert.equal(o.board, 'mps2-an386');
    },
  },
];
