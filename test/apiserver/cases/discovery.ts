/** Discovery as kubectl reads it: api-resources, api-versions, /version, explain, group documents. */
import { assert, tableCells, type Case } from '../case';

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
];
