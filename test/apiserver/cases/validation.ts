/** Validation: 422 Invalid with causes for each bad field (schema and CEL), Strict, dryRun. */
import { assert, at, expectCode, names, nsPath, seen, type Case } from '../case';
import { application, device, gateway, PUBLIC_KEY, type KubeObjectLike } from '../fixtures';
import type { ServerUnderTest } from '../servers';

const MERGE = 'application/merge-patch+json';

interface Refusal {
  code: number;
  reason: unknown;
  message: unknown;
  causes: unknown;
}

const refusal = (a: { code: number; body: unknown }): Refusal => ({
  code: a.code,
  reason: at(a.body, 'reason'),
  message: at(a.body, 'message'),
  causes: at(a.body, 'details.causes'),
});

/** POSTs each bad object and reports the refusal, then what the collection holds. */
async function refuseAll(
  s: ServerUnderTest,
  ns: string,
  resource: string,
  bad: Record<string, KubeObjectLike>,
) {
  const out: Record<string, Refusal> = {};
  for (const [label, body] of Object.entries(bad))
    out[label] = refusal(await s.req('editor', 'POST', nsPath(ns, resource), { body }));
  return { refusals: out, stored: names(await s.req('viewer', 'GET', nsPath(ns, resource))) };
}

function expectAllInvalid(o: Record<string, unknown>) {
  for (const [label, r] of Object.entries(o.refusals as Record<string, Refusal>)) {
    assert.equal(r.code, 422, `${label}: 422`);
    assert.equal(r.reason, 'Invalid', `${label}: reason Invalid`);
    assert.ok(Array.isArray(r.causes) && r.causes.length > 0, `${label}: causes name the fields`);
  }
  assert.deepEqual(o.stored, [], 'nothing stored');
}

const withSpec = (o: KubeObjectLike, spec: Record<string, unknown>): KubeObjectLike => ({
  ...o,
  spec,
});

export const validationCases: Case[] = [
  {
    name: 'validation: bad Device fields (schema and CEL) → 422 with causes',
    run: async (s, ns) => {
      const d = (name: string) => device(ns, name);
      const key = { publicKey: PUBLIC_KEY };
      return refuseAll(s, ns, 'devices', {
        boardEnum: withSpec(d('a1'), { board: 'pdp-11', enrollment: key }),
        noEnrollment: withSpec(d('a2'), { board: 'mps2-an385' }),
        noSpec: { ...d('a3'), spec: undefined },
        gatewayPattern: withSpec(d('a4'), {
          board: 'mps2-an385',
          enrollment: key,
          gateway: 'Not_A_Name',
        }),
        enrollmentBoth: withSpec(d('a5'), {
          board: 'mps2-an385',
          enrollment: { ...key, bootstrapTokenSecretRef: { name: 's', key: 'k' } },
        }),
        enrollmentNone: withSpec(d('a6'), { board: 'mps2-an385', enrollment: {} }),
        architectureMismatch: withSpec(d('a7'), {
          board: 'mps2-an385',
          architecture: 'armv8-m.main',
          enrollment: key,
        }),
        secretRefNoKey: withSpec(d('a8'), {
          board: 'mps2-an385',
          enrollment: { bootstrapTokenSecretRef: { name: 's' } },
        }),
        publicKeyTooLong: withSpec(d('a9'), {
          board: 'mps2-an385',
          enrollment: { publicKey: 'k'.repeat(5000) },
        }),
        revokedType: withSpec(d('a10'), { board: 'mps2-an385', enrollment: key, revoked: 'yes' }),
        twoErrors: withSpec(d('a11'), { board: 'pdp-11', enrollment: key, gateway: '' }),
      });
    },
    expect: o => {
      expectAllInvalid(o);
      const r = (o.refusals as Record<string, Refusal>).boardEnum!;
      assert.ok(
        (r.causes as { field: string; reason: string }[]).some(
          c => c.field === 'spec.board' && c.reason === 'FieldValueNotSupported',
        ),
        'boardEnum: a FieldValueNotSupported cause at spec.board',
      );
      const cel = (o.refusals as Record<string, Refusal>).architectureMismatch!;
      assert.match(String(cel.message), /architecture does not match the board/);
    },
  },
  {
    name: 'validation: bad Application and Gateway fields → 422 with causes',
    run: async (s, ns) => {
      const a = (name: string) => application(ns, name);
      const apps = await refuseAll(s, ns, 'applications', {
        moduleNone: withSpec(a('b1'), { module: {}, target: { all: true } }),
        moduleTwo: withSpec(a('b2'), {
          module: { url: 'https://x.example/a.wasm', inline: 'AAAA' },
          target: { all: true },
        }),
        targetNone: withSpec(a('b3'), { module: { url: 'https://x.example/a.wasm' }, target: {} }),
        memoryTooSmall: withSpec(a('b4'), {
          module: { url: 'https://x.example/a.wasm' },
          target: { all: true },
          limits: { memoryBytes: 1024 },
        }),
        envNoValue: withSpec(a('b5'), {
          module: { url: 'https://x.example/a.wasm' },
          target: { all: true },
          env: [{ name: 'A' }],
        }),
        configTooLong: withSpec(a('b6'), {
          module: { url: 'https://x.example/a.wasm' },
          target: { all: true },
          config: { k: 'v'.repeat(2000) },
        }),
        allFalse: withSpec(a('b7'), {
          module: { url: 'https://x.example/a.wasm' },
          target: { all: false },
        }),
        devicesEmpty: withSpec(a('b8'), {
          module: { url: 'https://x.example/a.wasm' },
          target: { devices: [] },
        }),
      });
      const g = (name: string) => gateway(ns, name);
      const gws = await refuseAll(s, ns, 'gateways', {
        endpointPattern: withSpec(g('g1'), { endpoint: 'no port here' }),
        tlsPortZero: withSpec(g('g2'), { endpoint: 'gw:8443', tlsPort: 0 }),
        capacityTooBig: withSpec(g('g3'), { endpoint: 'gw:8443', capacity: 2000000 }),
        noEndpoint: withSpec(g('g4'), { region: 'eu' }),
        regionTooLong: withSpec(g('g5'), { endpoint: 'gw:8443', region: 'r'.repeat(64) }),
        portNotInteger: withSpec(g('g6'), { endpoint: 'gw:8443', adminPort: 80.5 }),
      });
      return { applications: apps, gateways: gws };
    },
    expect: o => {
      expectAllInvalid(o.applications as Record<string, unknown>);
      expectAllInvalid(o.gateways as Record<string, unknown>);
      const tls = (at(o, 'gateways.refusals') as Record<string, Refusal>).tlsPortZero!;
      assert.deepEqual(tls.causes, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0: spec.tlsPort in body should be greater than or equal to 1',
          field: 'spec.tlsPort',
        },
      ]);
    },
  },
  {
    name: 'validation: bad status through /status → 422, nothing changed',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const p = (status: unknown) =>
        s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1', 'status'), {
          body: { status },
          contentType: MERGE,
        });
      const phase = refusal(await p({ phase: 'Flying' }));
      const condition = refusal(await p({ conditions: [{ type: 'Ready', status: 'True' }] }));
      const fingerprint = refusal(
        await p({
          certificate: {
            fingerprintSha256: 'xyz',
            serialNumber: '1',
            notBefore: '2020-01-01T00:00:00Z',
            notAfter: '2021-01-01T00:00:00Z',
          },
        }),
      );
      const got = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return { phase, condition, fingerprint, status: at(got.body, 'status') ?? null };
    },
    expect: o => {
      for (const k of ['phase', 'condition', 'fingerprint']) {
        assert.equal(at(o, `${k}.code`), 422, k);
        assert.equal(at(o, `${k}.reason`), 'Invalid', k);
      }
      assert.equal(o.status, null);
    },
  },
  {
    name: 'validation: fieldValidation Strict, Warn (default) and Ignore on unknown and duplicate fields',
    run: async (s, ns) => {
      const withUnknown = (name: string) => {
        const d = device(ns, name);
        (d.spec as Record<string, unknown>).colour = 'blue';
        return d;
      };
      const post = (q: string, body: unknown) =>
        s.req('editor', 'POST', `${nsPath(ns, 'devices')}${q}`, { body });
      const strict = await post('?fieldValidation=Strict', withUnknown('s1'));
      const warn = await post('', withUnknown('w1'));
      const ignore = await post('?fieldValidation=Ignore', withUnknown('i1'));
      const dup = JSON.stringify(device(ns, 'dup1')).replace(
        '"spec":',
        '"spec":{"board":"mps2-an500"},"spec":',
      );
      const dupStrict = await post('?fieldValidation=Strict', dup);
      const kubectlStrict = await s.kubectl(
        'editor',
        ['create', '-n', ns, '--validate=strict', '-f', '-'],
        JSON.stringify(withUnknown('k1')),
      );
      return {
        strict: seen(strict),
        warn: {
          code: warn.code,
          warnings: warn.warnings,
          colour: at(warn.body, 'spec.colour') ?? null,
        },
        ignore: { code: ignore.code, warnings: ignore.warnings },
        dupStrict: seen(dupStrict),
        kubectlStrict,
        stored: names(await s.req('viewer', 'GET', nsPath(ns, 'devices'))),
      };
    },
    expect: o => {
      expectCode(o, 'strict', 400, 'BadRequest');
      assert.equal(
        at(o, 'strict.body.message'),
        'Device in version "v1alpha1" cannot be handled as a Device: strict decoding error: unknown field "spec.colour"',
      );
      assert.equal(at(o, 'warn.code'), 201);
      assert.deepEqual(at(o, 'warn.warnings'), ['unknown field "spec.colour"']);
      assert.equal(at(o, 'warn.colour'), null, 'the unknown field is dropped');
      assert.deepEqual(at(o, 'ignore.warnings'), []);
      expectCode(o, 'dupStrict', 400, 'BadRequest');
      assert.equal(at(o, 'kubectlStrict.code'), 1);
      assert.deepEqual(o.stored, ['i1', 'w1']);
    },
  },
  {
    name: 'validation: dryRun=All create, update and delete store nothing',
    run: async (s, ns) => {
      const dry = '?dryRun=All';
      const created = await s.req('editor', 'POST', `${nsPath(ns, 'devices')}${dry}`, {
        body: device(ns, 'd1'),
      });
      const afterCreate = (await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'))).code;
      const invalid = refusal(
        await s.req('editor', 'POST', `${nsPath(ns, 'devices')}${dry}`, {
          body: withSpec(device(ns, 'd9'), { board: 'pdp-11' }),
        }),
      );
      const real = await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd2') });
      const changed = {
        ...(real.body as KubeObjectLike),
        spec: { ...(at(real.body, 'spec') as object), board: 'mps2-an500' },
      };
      const updated = await s.req('editor', 'PUT', `${nsPath(ns, 'devices', 'd2')}${dry}`, {
        body: changed,
      });
      const patched = await s.req('editor', 'PATCH', `${nsPath(ns, 'devices', 'd2')}${dry}`, {
        body: { metadata: { labels: { a: 'b' } } },
        contentType: MERGE,
      });
      const deleted = await s.req('editor', 'DELETE', `${nsPath(ns, 'devices', 'd2')}${dry}`);
      const after = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd2'));
      const kubectl = await s.kubectl('editor', [
        'delete',
        'device',
        'd2',
        '-n',
        ns,
        '--dry-run=server',
      ]);
      return {
        created: {
          code: created.code,
          name: at(created.body, 'metadata.name'),
          uid: at(created.body, 'metadata.uid') !== undefined,
          generation: at(created.body, 'metadata.generation'),
        },
        afterCreate,
        invalid,
        updated: {
          code: updated.code,
          board: at(updated.body, 'spec.board'),
          generation: at(updated.body, 'metadata.generation'),
        },
        patched: { code: patched.code, labels: at(patched.body, 'metadata.labels') },
        deleted: { code: deleted.code, kind: at(deleted.body, 'kind') },
        after: {
          code: after.code,
          board: at(after.body, 'spec.board'),
          labels: at(after.body, 'metadata.labels') ?? null,
          rvUnchanged:
            at(after.body, 'metadata.resourceVersion') ===
            at(real.body, 'metadata.resourceVersion'),
        },
        kubectl: kubectl.stdout,
      };
    },
    expect: o => {
      assert.equal(at(o, 'created.code'), 201);
      assert.equal(o.afterCreate, 404, 'dry-run create stored nothing');
      assert.equal(at(o, 'invalid.code'), 422, 'dry run still validates');
      assert.equal(at(o, 'updated.board'), 'mps2-an500');
      assert.equal(at(o, 'updated.generation'), 2);
      assert.deepEqual(at(o, 'patched.labels'), { a: 'b' });
      assert.equal(at(o, 'deleted.code'), 200);
      assert.deepEqual(o.after, {
        code: 200,
        board: 'mps2-an385',
        labels: null,
        rvUnchanged: true,
      });
      assert.equal(o.kubectl, 'device.wasmbed.io "d2" deleted (server dry run)\n');
    },
  },
];
