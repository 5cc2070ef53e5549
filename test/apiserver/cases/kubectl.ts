/** What a user does with kubectl day to day: apply -f, get -w, describe. */
import { assert, at, nsPath, tableCells, type Case } from '../case';
import { application, device, gateway, manifest } from '../fixtures';

const MERGE = 'application/merge-patch+json';
const WATCH_WAIT_MS = 15_000;

export const kubectlCases: Case[] = [
  {
    name: 'kubectl: apply -f of a Device, an Application and a Gateway (created, configured, unchanged)',
    run: async (s, ns) => {
      const objects = [device(ns, 'd1'), application(ns, 'app1'), gateway(ns, 'gw-a')];
      const first = await s.kubectl('editor', ['apply', '-n', ns, '-f', '-'], manifest(...objects));
      const changed = [
        device(ns, 'd1', { spec: { board: 'mps2-an500' } }),
        application(ns, 'app1'),
        gateway(ns, 'gw-a', { region: 'eu' }),
      ];
      const second = await s.kubectl(
        'editor',
        ['apply', '-n', ns, '-f', '-'],
        manifest(...changed),
      );
      const third = await s.kubectl('editor', ['apply', '-n', ns, '-f', '-'], manifest(...changed));
      const got = await s.req('viewer', 'GET', nsPath(ns, 'gateways', 'gw-a'));
      const d = await s.req('viewer', 'GET', nsPath(ns, 'devices', 'd1'));
      return {
        first,
        second,
        third,
        gatewaySpec: at(got.body, 'spec'),
        board: at(d.body, 'spec.board'),
        generation: at(d.body, 'metadata.generation'),
      };
    },
    expect: o => {
      assert.equal(
        at(o, 'first.stdout'),
        'device.wasmbed.io/d1 created\napplication.wasmbed.io/app1 created\ngateway.wasmbed.io/gw-a created\n',
      );
      assert.equal(
        at(o, 'second.stdout'),
        'device.wasmbed.io/d1 configured\napplication.wasmbed.io/app1 unchanged\ngateway.wasmbed.io/gw-a configured\n',
      );
      assert.equal(
        at(o, 'third.stdout'),
        'device.wasmbed.io/d1 unchanged\napplication.wasmbed.io/app1 unchanged\ngateway.wasmbed.io/gw-a unchanged\n',
      );
      assert.equal(o.board, 'mps2-an500');
      assert.equal(o.generation, 2);
      assert.equal(at(o, 'gatewaySpec.region'), 'eu');
    },
  },
  {
    name: 'kubectl: get -w sees later changes',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const w = s.kubectlRunning('viewer', [
        'get',
        'devices',
        '-n',
        ns,
        '-w',
        '--output-watch-events',
      ]);
      try {
        await w.waitFor(out => out.includes('d1'), WATCH_WAIT_MS);
        await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1', 'status'), {
          body: { status: { phase: 'Connected', gateway: 'gw-a' } },
          contentType: MERGE,
        });
        await w.waitFor(out => out.includes('Connected'), WATCH_WAIT_MS);
        await s.req('editor', 'POST', nsPath(ns, 'devices'), {
          body: device(ns, 'd2', { spec: { board: 'nrf52840-dk' } }),
        });
        await w.waitFor(out => out.includes('d2'), WATCH_WAIT_MS);
        await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
        await w.waitFor(out => out.includes('DELETED'), WATCH_WAIT_MS);
      } finally {
        await w.stop();
      }
      // kubectl does not re-align a watch's later rows: cells are split at runs of spaces
      // (empty cells drop out the same way on both servers).
      return { table: tableCells(w.stdout(), false) };
    },
    expect: o => {
      const rows = (o.table as string[][]).map(r =>
        [...r.slice(0, 2), ...(r.includes('Connected') ? ['Connected'] : [])].join(' '),
      );
      assert.deepEqual(rows, [
        'EVENT NAME',
        'ADDED d1',
        'MODIFIED d1 Connected',
        'ADDED d2',
        'DELETED d1 Connected',
      ]);
    },
  },
  {
    name: 'kubectl: wait --for=jsonpath and --for=delete',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { metadata: { finalizers: ['wasmbed.io/hold'] } }),
      });
      const connected = s.kubectl('viewer', [
        'wait',
        'device/d1',
        '-n',
        ns,
        '--for=jsonpath={.status.phase}=Connected',
        '--timeout=30s',
      ]);
      await new Promise(r => setTimeout(r, 1000));
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1', 'status'), {
        body: { status: { phase: 'Connected' } },
        contentType: MERGE,
      });
      const phase = await connected;
      await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
      const deleted = s.kubectl('viewer', [
        'wait',
        'device/d1',
        '-n',
        ns,
        '--for=delete',
        '--timeout=30s',
      ]);
      await new Promise(r => setTimeout(r, 1000));
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: null } },
        contentType: MERGE,
      });
      const gone = await deleted;
      const timeout = await s.kubectl('viewer', [
        'wait',
        'device/d1',
        '-n',
        ns,
        '--for=jsonpath={.status.phase}=Connected',
        '--timeout=1s',
      ]);
      return { phase, gone, timeout: { code: timeout.code, stderr: timeout.stderr } };
    },
    expect: o => {
      assert.equal(at(o, 'phase.code'), 0);
      assert.equal(at(o, 'phase.stdout'), 'device.wasmbed.io/d1 condition met\n');
      assert.equal(at(o, 'gone.code'), 0);
      assert.equal(at(o, 'timeout.code'), 1);
    },
  },
  {
    name: 'kubectl: describe device (with its events)',
    run: async (s, ns) => {
      const created = await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', {
          labels: { tier: 'edge' },
          metadata: { annotations: { note: 'bench 3' } },
        }),
      });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1', 'status'), {
        body: { status: { phase: 'Connected', gateway: 'gw-a', firmwareVersion: '1.2.3' } },
        contentType: MERGE,
      });
      // An event about the device, at a fixed time in the past (its Age is then the same on both).
      await s.req('admin', 'POST', nsPath(ns, 'events'), {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'd1.connected', namespace: ns },
          involvedObject: {
            apiVersion: 'wasmbed.io/v1alpha1',
            kind: 'Device',
            name: 'd1',
            namespace: ns,
            uid: at(created.body, 'metadata.uid'),
          },
          reason: 'Connected',
          message: 'device connected to gw-a',
          type: 'Normal',
          source: { component: 'wasmbed-gateway' },
          firstTimestamp: '2020-01-01T00:00:00Z',
          lastTimestamp: '2020-01-01T00:00:00Z',
          count: 1,
        },
      });
      const r = await s.kubectl('viewer', ['describe', 'device', 'd1', '-n', ns]);
      return { code: r.code, lines: r.stdout.split('\n'), stderr: r.stderr };
    },
    expect: o => {
      assert.equal(o.code, 0);
      const text = (o.lines as string[]).join('\n');
      assert.match(text, /^Name:\s+d1$/m);
      assert.match(text, /Phase:\s+Connected/);
      assert.match(text, /Normal\s+Connected\s+.*device connected to gw-a/);
    },
  },
];
