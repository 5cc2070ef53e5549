/** Table output: kubectl get columns and cells (Age normalised), the Table JSON, -o json. */
import { assert, at, nsPath, tableCells, type Case } from '../case';
import { application, configMap, device, gateway } from '../fixtures';

const MERGE = 'application/merge-patch+json';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export const tableCases: Case[] = [
  {
    name: 'table: kubectl get devices (-o wide) columns and cells',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd2', { spec: { board: 'nrf52840-dk' } }),
      });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd2', 'status'), {
        body: {
          status: {
            phase: 'Connected',
            gateway: 'gw-a',
            firmwareVersion: '1.2.3',
            lastHeartbeat: '2020-01-01T00:00:00Z',
          },
        },
        contentType: MERGE,
      });
      const plain = await s.kubectl('viewer', ['get', 'devices', '-n', ns]);
      const wide = await s.kubectl('viewer', ['get', 'devices', '-n', ns, '-o', 'wide']);
      const labels = await s.kubectl('viewer', [
        'get',
        'wdev',
        '-n',
        ns,
        '--show-labels',
        '--no-headers',
      ]);
      return {
        plain: { code: plain.code, table: tableCells(plain.stdout) },
        wide: { code: wide.code, table: tableCells(wide.stdout) },
        labels: { table: tableCells(labels.stdout, false) },
      };
    },
    expect: o => {
      assert.equal(at(o, 'plain.code'), 0);
      const wide = at(o, 'wide.table') as string[][];
      assert.deepEqual(wide[0], [
        'NAME',
        'BOARD',
        'PHASE',
        'GATEWAY',
        'FIRMWARE',
        'LAST-HEARTBEAT',
        'AGE',
      ]);
      assert.deepEqual(wide[2]?.slice(0, 5), ['d2', 'nrf52840-dk', 'Connected', 'gw-a', '1.2.3']);
      assert.equal(wide[2]?.[6], '<age>');
      assert.deepEqual((at(o, 'plain.table') as string[][])[0], [
        'NAME',
        'BOARD',
        'PHASE',
        'GATEWAY',
        'LAST-HEARTBEAT',
        'AGE',
      ]);
    },
  },
  {
    name: 'table: Table JSON of devices, gateways and applications',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      await s.req('editor', 'POST', nsPath(ns, 'gateways'), { body: gateway(ns, 'gw-a') });
      await s.req('editor', 'POST', nsPath(ns, 'applications'), { body: application(ns, 'app1') });
      const out: Record<string, unknown> = {};
      for (const r of ['devices', 'gateways', 'applications']) {
        const a = await s.req('viewer', 'GET', nsPath(ns, r), { accept: TABLE });
        const body = a.body as {
          kind?: string;
          columnDefinitions?: unknown;
          rows?: { cells: unknown[]; object?: unknown }[];
          metadata?: unknown;
        };
        out[r] = {
          code: a.code,
          kind: body.kind,
          metadata: body.metadata,
          columnDefinitions: body.columnDefinitions,
          rows: body.rows,
        };
      }
      const one = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'), { accept: TABLE });
      const noObject = await s.req('viewer', 'GET', `${nsPath(ns, 'devices')}?includeObject=None`, {
        accept: TABLE,
      });
      const wideGw = await s.kubectl('viewer', [
        'get',
        'gateways,applications',
        '-n',
        ns,
        '-o',
        'wide',
      ]);
      return {
        ...out,
        one: one.body,
        noObject: at(noObject.body, 'rows'),
        kubectl: { table: tableCells(wideGw.stdout) },
      };
    },
    expect: o => {
      assert.equal(at(o, 'devices.kind'), 'Table');
      const cols = (at(o, 'devices.columnDefinitions') as { name: string }[]).map(c => c.name);
      assert.deepEqual(cols, [
        'Name',
        'Board',
        'Phase',
        'Gateway',
        'Firmware',
        'Last-Heartbeat',
        'Age',
      ]);
      assert.equal(at(o, 'one.kind'), 'Table');
    },
  },
  {
    name: 'table: kubectl get configmaps, and -o json lists',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), {
        body: configMap(ns, 'c1', { a: '1', b: '2' }),
      });
      await s.req('editor', 'POST', nsPath(ns, 'configmaps'), { body: configMap(ns, 'c2', {}) });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const cms = await s.kubectl('viewer', ['get', 'configmaps', '-n', ns]);
      const json = await s.kubectl('viewer', ['get', 'devices', '-n', ns, '-o', 'json']);
      const one = await s.kubectl('viewer', ['get', 'configmap', 'c1', '-n', ns, '-o', 'yaml']);
      const none = await s.kubectl('viewer', ['get', 'gateways', '-n', ns]);
      return {
        cms: { table: tableCells(cms.stdout) },
        json: JSON.parse(json.stdout || 'null'),
        yaml: one.stdout.split('\n'),
        none: { stdout: none.stdout, stderr: none.stderr },
      };
    },
    expect: o => {
      assert.deepEqual(at(o, 'cms.table'), [
        ['NAME', 'DATA', 'AGE'],
        ['c1', '2', '<age>'],
        ['c2', '0', '<age>'],
      ]);
      assert.equal(at(o, 'json.kind'), 'List');
      assert.equal((at(o, 'json.items') as unknown[]).length, 1);
      assert.equal(
        at(o, 'none.stderr'),
        `No resources found in ${'<ns>'} namespace.\n`.replace(
          '<ns>',
          String(at(o, 'json.items.0.metadata.namespace')),
        ),
      );
    },
  },
];
