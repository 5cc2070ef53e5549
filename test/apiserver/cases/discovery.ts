/** Discovery as kubectl reads it: api-resources, api-versions, /version, explain, group documents. */
import { assert, at, tableCells, type Case } from '../case';

/** The groups/versions and resources both servers serve: kube's other rows are not compared. */
const SERVED_VERSIONS = new Set(['v1', 'coordination.k8s.io/v1', 'wasmbed.io/v1alpha1']);
const SERVED_RESOURCES = new Set([
  'namespaces',
  'secrets',
  'configmaps',
  'events',
  'leases',
  'devices',
  'applications',
  'gateways',
]);

function servedRows(stdout: string): string[][] {
  const [header, ...rows] = tableCells(stdout);
  const versionAt = header!.indexOf('APIVERSION');
  return [
    header!,
    ...rows.filter(r => SERVED_VERSIONS.has(r[versionAt]!) && SERVED_RESOURCES.has(r[0]!)),
  ];
}

export const discoveryCases: Case[] = [
  {
    name: 'discovery: kubectl api-resources',
    run: async s => {
      // Without shortnames a row has fewer cells: -o wide keeps column positions readable only
      // by name, so each row is compared as kubectl printed it.
      const all = await s.kubectl('admin', ['api-resources']);
      const wide = await s.kubectl('admin', [
        'api-resources',
        '--api-group=wasmbed.io',
        '-o',
        'wide',
      ]);
      const named = await s.kubectl('admin', [
        'api-resources',
        '--categories=wasmbed',
        '-o',
        'name',
      ]);
      return {
        code: all.code,
        rows: servedRows(all.stdout),
        wasmbedWide: tableCells(wide.stdout),
        categories: named.stdout.split('\n').sort(),
        stderr: all.stderr,
      };
    },
    expect: o => {
      assert.equal(o.code, 0);
      const rows = o.rows as string[][];
      assert.ok(
        rows.some(r => r.join(' ') === 'devices wdev wasmbed.io/v1alpha1 true Device'),
        'devices row with short name wdev',
      );
      assert.ok(
        rows.some(r => r[0] === 'configmaps' && r[1] === 'cm'),
        'configmaps row',
      );
      assert.ok(
        rows.some(r => r[0] === 'leases' && r[1] === '' && r[2] === 'coordination.k8s.io/v1'),
        'leases row',
      );
      assert.deepEqual((o.categories as string[]).filter(Boolean), [
        'appinstances.wasmbed.io',
        'applications.wasmbed.io',
        'devices.wasmbed.io',
        'gateways.wasmbed.io',
      ]);
    },
  },
  {
    name: 'discovery: kubectl api-versions',
    run: async s => {
      const r = await s.kubectl('admin', ['api-versions']);
      return { code: r.code, versions: r.stdout.split('\n').filter(v => SERVED_VERSIONS.has(v)) };
    },
    expect: o =>
      assert.deepEqual(o.versions, ['coordination.k8s.io/v1', 'v1', 'wasmbed.io/v1alpha1']),
  },
  {
    name: 'discovery: /version',
    run: async s => {
      const a = await s.req('viewer', 'GET', '/version');
      const kubectl = await s.kubectl('viewer', ['version', '-o', 'json']);
      const server =
        (JSON.parse(kubectl.stdout || '{}') as { serverVersion?: Record<string, unknown> })
          .serverVersion ?? {};
      return { code: a.code, version: a.body, kubectlServerKeys: Object.keys(server).sort() };
    },
    expect: o => {
      assert.equal(o.code, 200);
      const v = o.version as Record<string, unknown>;
      for (const k of ['major', 'minor', 'gitVersion', 'platform'])
        assert.equal(typeof v[k], 'string', `/version.${k}`);
    },
  },
  {
    name: 'discovery: kubectl explain device.spec.enrollment',
    run: async s => {
      const r = await s.kubectl('viewer', ['explain', 'device.spec.enrollment']);
      return { code: r.code, stdout: r.stdout.split('\n'), stderr: r.stderr };
    },
    expect: o => {
      assert.equal(o.code, 0);
      const text = (o.stdout as string[]).join('\n');
      assert.match(text, /bootstrapTokenSecretRef\s+<Object>/);
      assert.match(text, /publicKey\s+<string>/);
    },
  },
  {
    name: 'discovery: kubectl explain device --recursive',
    run: async s => {
      const r = await s.kubectl('viewer', ['explain', 'device', '--recursive']);
      const g = await s.kubectl('viewer', ['explain', 'gateways.spec']);
      return {
        code: r.code,
        stdout: r.stdout.split('\n'),
        gateway: { code: g.code, stdout: g.stdout.split('\n') },
      };
    },
    expect: o => {
      assert.equal(o.code, 0);
      const text = (o.stdout as string[]).join('\n');
      assert.match(text, /GROUP:\s+wasmbed.io/);
      assert.match(text, /fingerprintSha256\s+<string>/);
    },
  },
  {
    name: 'discovery: group and resource documents',
    run: async s => {
      const list = await s.req('viewer', 'GET', '/apis/wasmbed.io/v1alpha1');
      const group = await s.req('viewer', 'GET', '/apis/wasmbed.io');
      const core = await s.req('viewer', 'GET', '/api');
      const coordination = await s.req('viewer', 'GET', '/apis/coordination.k8s.io/v1');
      const resources = (coordination.body as { resources?: { name: string }[] }).resources ?? [];
      const coreV1 = await s.req('viewer', 'GET', '/api/v1');
      const coreResources = (
        (coreV1.body as { resources?: { name: string }[] }).resources ?? []
      ).filter(r => SERVED_RESOURCES.has(r.name.split('/')[0]!));
      return {
        resourceList: list.body,
        group: group.body,
        core: { versions: (core.body as { versions?: unknown }).versions },
        leases: resources.filter(r => r.name.startsWith('leases')),
        coreV1: coreResources,
      };
    },
    expect: o => {
      const rl = o.resourceList as {
        groupVersion?: string;
        resources?: { name: string; kind: string }[];
      };
      assert.equal(rl.groupVersion, 'wasmbed.io/v1alpha1');
      assert.deepEqual(rl.resources?.map(r => r.name).sort(), [
        'appinstances',
        'appinstances/status',
        'applications',
        'applications/status',
        'devices',
        'devices/status',
        'gateways',
        'gateways/status',
      ]);
    },
  },
  {
    name: 'discovery: aggregated discovery (v2) of wasmbed.io',
    run: async s => {
      const a = await s.req('viewer', 'GET', '/apis', {
        accept:
          'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      });
      const body = a.body as {
        kind?: string;
        apiVersion?: string;
        items?: { metadata?: { name?: string } }[];
      };
      return {
        code: a.code,
        kind: body.kind,
        apiVersion: body.apiVersion,
        wasmbed: body.items?.find(i => i.metadata?.name === 'wasmbed.io'),
      };
    },
    expect: o => {
      assert.equal(o.code, 200);
      assert.equal(o.kind, 'APIGroupDiscoveryList');
      assert.ok(o.wasmbed, 'wasmbed.io group listed');
    },
  },
  {
    name: 'discovery: aggregated discovery (v2) of the core group',
    run: async s => {
      const a = await s.req('viewer', 'GET', '/api', {
        accept:
          'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      });
      type Doc = {
        items?: { versions?: { version: string; resources?: { resource: string }[] }[] }[];
      };
      const v1 = (a.body as Doc).items?.[0]?.versions?.find(v => v.version === 'v1');
      return {
        code: a.code,
        kind: at(a.body, 'kind'),
        resources: v1?.resources?.filter(r => SERVED_RESOURCES.has(r.resource)),
      };
    },
    expect: o => {
      assert.equal(o.code, 200);
      assert.equal(o.kind, 'APIGroupDiscoveryList');
      assert.deepEqual((o.resources as { resource: string }[]).map(r => r.resource).sort(), [
        'configmaps',
        'events',
        'namespaces',
        'secrets',
      ]);
    },
  },
  {
    name: 'discovery: OpenAPI v3 schema of Device',
    run: async s => {
      // kube-apiserver publishes a CRD's OpenAPI v3 some seconds after it is Established:
      // wait (bounded) until the index lists the group version, as kubectl explain would retry.
      let paths: string[] = [];
      let indexCode = 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const index = await s.req('viewer', 'GET', '/openapi/v3');
        indexCode = index.code;
        // kube-apiserver serves the index as text/plain (JSON inside).
        const body =
          typeof index.body === 'string' ? (JSON.parse(index.body) as unknown) : index.body;
        paths = Object.keys((at(body, 'paths') as Record<string, unknown>) ?? {}).filter(p =>
          p.includes('wasmbed.io'),
        );
        if (paths.includes('apis/wasmbed.io/v1alpha1')) break;
        await new Promise(r => setTimeout(r, 500));
      }
      const doc = await s.req('viewer', 'GET', '/openapi/v3/apis/wasmbed.io/v1alpha1');
      const schemas =
        (at(doc.body, 'components.schemas') as Record<string, Record<string, unknown>>) ?? {};
      const dev = schemas['io.wasmbed.v1alpha1.Device'];
      return {
        code: doc.code,
        indexCode,
        paths,
        gvk: dev?.['x-kubernetes-group-version-kind'],
        required: dev?.required,
        spec: at(dev, 'properties.spec'),
        status: at(dev, 'properties.status'),
      };
    },
    expect: o => {
      assert.equal(o.code, 200);
      assert.ok(
        (o.paths as string[]).includes('apis/wasmbed.io/v1alpha1'),
        'the index lists wasmbed.io/v1alpha1',
      );
      assert.deepEqual(o.gvk, [{ group: 'wasmbed.io', kind: 'Device', version: 'v1alpha1' }]);
      assert.ok(at(o, 'spec.properties.enrollment'), 'spec.enrollment in the schema');
    },
  },
];
