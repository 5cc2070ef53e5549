/**
 * The platform end-to-end suite: the real API server, controllers and two gateway processes,
 * three QEMU devices on different boards, the real kubectl (pinned 1.32.13). Each check is
 * one test; the last line is `e2e-platform: N passed, M failed`.
 *
 *   npx tsx test/e2e/platformE2e.ts [--keep]     (bash test/e2e/run.sh)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { appInstanceName, LABEL_APPLICATION } from '@wasmbed/plugin-wasmbed-common';
import { exampleApp } from '../../renode/src/firmwareImage';
import {
  applicationResource,
  instancesOf,
  registerDevice,
  runningAt,
} from '../../scripts/platform/fleet';
import { resourcePath, type KubeObject } from '../../scripts/platform/kubeClient';
import { startPlatform, type Platform } from '../../scripts/platform/platform';
import { until } from '../../scripts/platform/processes';
import {
  boardImage,
  startQemuDevice,
  stopDevices,
  stopDevicesOnSignals,
  type EmulatedDevice,
} from '../../scripts/platform/qemuDevices';
import { kubectl, kubectlOk } from './kubectl';
import { RolloutObserver } from './rollout';
import { assert, Suite } from './suite';
import { killBusierGateway } from './takeover';
import { startTsFleet, type TsFleet } from './tsFleet';

const BOARDS = ['mps2-an385', 'mps2-an386', 'mps2-an505'];
const APP = 'telemetry';
const NS = 'default';
const keep = process.argv.includes('--keep');
/** TypeScript device clients beside the QEMU devices in the failover check. */
const TS_CLIENTS = 40;

const CHECKS = [
  'platform starts: API server, controllers, two gateways',
  'three QEMU devices on three boards enroll and connect',
  'kubectl apply -f app.yaml',
  'kubectl wait --for=condition=Available application/telemetry',
  'kubectl get appinstances shows three Running',
  'device telemetry reaches AppInstance status',
  'a new revision rolls out one device at a time (maxUnavailable 1)',
  'kill -9 of a gateway: QEMU devices and TypeScript clients reconnect to the other, no app re-sent',
  'a viewer cannot create or change resources (Forbidden)',
  'a gateway cannot write the status of a device another gateway holds (403)',
  'kubectl describe device shows Events',
  'deleting the Application removes the app from the devices',
  'revoking a Device closes its session and the device is refused',
];

function appYaml(
  dir: string,
  file: string,
  devices: string[],
  config: Record<string, string>,
): string {
  const app = applicationResource({
    name: APP,
    namespace: NS,
    moduleFile: exampleApp('telemetry'),
    devices,
    config,
    maxUnavailable: 1,
    periodMs: 1000,
  });
  const out = path.join(dir, file);
  writeFileSync(out, stringify(app));
  return out;
}

async function device(p: Platform, name: string): Promise<KubeObject | undefined> {
  return p.admin.find(resourcePath('Device', NS, name));
}

function consoleSince(d: EmulatedDevice, from: number): string[] {
  return d.console.slice(from);
}

async function main() {
  const suite = new Suite('e2e-platform');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbed-e2e-'));
  let platform: Platform | undefined;
  const devices: EmulatedDevice[] = [];
  stopDevicesOnSignals(devices);
  let fleet: TsFleet | undefined;
  const names = BOARDS.map(b => `e2e-${b.replace('mps2-', '')}`);
  const checks = [...CHECKS];
  const next = () => checks.shift()!;
  const run = (fn: () => Promise<string | void>) => suite.check(next(), fn);
  try {
    const up = await run(async () => {
      for (const board of BOARDS) boardImage(board); // before anything runs: make is synchronous
      platform = await startPlatform({
        dir: path.join(dir, 'platform'),
        gateways: ['gw-a', 'gw-b'],
        log: line => process.stdout.write(`     ${line}\n`),
      });
    });
    if (!up || !platform) {
      for (const c of checks.splice(0)) suite.fail(c, 'the platform did not start');
      return;
    }
    const p = platform;
    const ports = [...p.gateways.values()].map(g => g.port);

    const connected = await run(async () => {
      const caPem = await p.fleetCaPem();
      for (const [i, board] of BOARDS.entries()) {
        const name = names[i]!;
        const token = await registerDevice(p.admin, NS, name, board);
        devices.push(
          startQemuDevice({
            name,
            board,
            dir: path.join(dir, 'devices', name),
            gatewayPorts: ports,
            caPem,
            token,
          }),
        );
      }
      const start = Date.now();
      await until(
        'every Device phase Connected',
        async () => {
          const phases = await Promise.all(
            names.map(async n => (await device(p, n))?.status?.phase),
          );
          return phases.every(ph => ph === 'Connected') && phases;
        },
        180_000,
        500,
      );
      return `all Connected ${((Date.now() - start) / 1000).toFixed(1)} s after QEMU start`;
    });
    if (!connected)
      for (const d of devices)
        process.stdout.write(`     [${d.name}] ${d.console.slice(-8).join('\n     ')}\n`);

    const v1 = appYaml(dir, 'app.yaml', names, { topic: 'telemetry' });
    await run(async () => {
      const out = await kubectlOk(p.adminKubeconfig, ['apply', '-f', v1]);
      assert(
        /application\.wasmbed\.io\/telemetry (created|configured|unchanged)/.test(out),
        `kubectl said: ${out}`,
      );
      return out.trim();
    });

    await run(async () => {
      const out = await kubectlOk(
        p.adminKubeconfig,
        ['wait', '--for=condition=Available', `application/${APP}`, '--timeout=150s'],
        160_000,
      );
      return out.trim();
    });

    await run(async () => {
      const out = await kubectlOk(p.adminKubeconfig, [
        'get',
        'appinstances',
        '-l',
        `${LABEL_APPLICATION}=${APP}`,
        '-o',
        'json',
      ]);
      const items = (JSON.parse(out) as { items: KubeObject[] }).items;
      const running = items
        .filter(i => i.status?.phase === 'Running')
        .map(i => String(i.spec?.device));
      assert(items.length === 3, `${items.length} AppInstances, not 3`);
      assert(
        running.length === 3,
        `Running: ${running.join(', ') || 'none'}; phases ${items.map(i => i.status?.phase).join(', ')}`,
      );
      const table = await kubectlOk(p.adminKubeconfig, [
        'get',
        'appinstances',
        '-l',
        `${LABEL_APPLICATION}=${APP}`,
      ]);
      process.stdout.write(`${table.trimEnd().replace(/^/gm, '     ')}\n`);
      return `Running on ${running.sort().join(', ')}`;
    });

    await run(async () => {
      const uptime = async (n: string) => {
        const i = await p.admin.get(resourcePath('AppInstance', NS, appInstanceName(APP, n)));
        const t = (
          (i.status?.telemetry ?? []) as { topic: string; value: number; time: string }[]
        ).find(x => x.topic === 'telemetry/uptime_s');
        return t;
      };
      const first = await until(
        'telemetry/uptime_s on every AppInstance',
        async () => {
          const all = await Promise.all(names.map(uptime));
          return all.every(Boolean) && all;
        },
        30_000,
        500,
      );
      // Values a device published later: the status follows the device, it is not a copy.
      await until(
        'a newer uptime from every device',
        async () => {
          const all = await Promise.all(names.map(uptime));
          return all.every((t, k) => t && t.value > first[k]!.value) && all;
        },
        30_000,
        500,
      );
      return first.map((t, k) => `${names[k]} ${t!.topic}=${t!.value}`).join(', ');
    });

    await run(async () => {
      const before = await p.admin.get(resourcePath('Application', NS, APP));
      const oldRevision = Number(before.status?.revision ?? 0);
      let newRevision: number | undefined;
      const observer = new RolloutObserver();
      const watch = p.admin.watch(
        `${resourcePath('AppInstance', NS)}?labelSelector=${encodeURIComponent(`${LABEL_APPLICATION}=${APP}`)}`,
        (type, obj) => observer.onEvent(type, obj),
      );
      try {
        await kubectlOk(p.adminKubeconfig, [
          'apply',
          '-f',
          appYaml(dir, 'app-v2.yaml', names, { topic: 'telemetry-v2' }),
        ]);
        newRevision = await until(
          'the controller to take the new revision',
          async () => {
            const a = await p.admin.get(resourcePath('Application', NS, APP));
            const r = Number(a.status?.revision ?? 0);
            return a.status?.observedGeneration === a.metadata.generation && r > oldRevision && r;
          },
          20_000,
          100,
        );
        await until(
          'three instances Running the new revision',
          () => newRevision !== undefined && observer.order(newRevision).length === 3,
          150_000,
          200,
        );
        assert(
          observer.maxUnavailable <= 1,
          `${observer.maxUnavailable} instances were unavailable at once`,
        );
        // The config reached the devices: they publish under the new prefix.
        await until(
          'telemetry under the new topic from every device',
          async () => {
            const list = await p.admin.list(
              `${resourcePath('AppInstance', NS)}?labelSelector=${encodeURIComponent(`${LABEL_APPLICATION}=${APP}`)}`,
            );
            return list.every(i =>
              ((i.status?.telemetry ?? []) as { topic: string }[]).some(t =>
                t.topic.startsWith('telemetry-v2/'),
              ),
            );
          },
          30_000,
          500,
        );
      } finally {
        watch.close();
      }
      return `revision ${oldRevision} -> ${newRevision}; at most ${observer.maxUnavailable} unavailable; order ${observer
        .order(newRevision!)
        .map(o => `${o.device} +${o.ms} ms`)
        .join(', ')}`;
    });

    // The gateway holding more devices dies; the other takes them over: the QEMU devices and
    // TypeScript clients that run an app of their own, so a re-sent module would show.
    await run(async () => {
      const caPem = await p.fleetCaPem();
      fleet = await startTsFleet(p, 'e2e-ts', TS_CLIENTS, caPem);
      const tsNames = fleet.clients.map(c => c.identity.name);
      await p.admin.create(
        resourcePath('Application', NS),
        applicationResource({
          name: 'fleet',
          namespace: NS,
          moduleFile: exampleApp('telemetry'),
          devices: tsNames,
          maxUnavailable: TS_CLIENTS,
        }),
      );
      await until(
        'the fleet app Running on the TypeScript clients',
        async () =>
          (await instancesOf(p.admin, NS, 'fleet')).filter(i => runningAt(i, i.revision)).length ===
          TS_CLIENTS,
        60_000,
        500,
      ).catch(async err => {
        const stuck = (await instancesOf(p.admin, NS, 'fleet')).filter(
          i => !runningAt(i, i.revision),
        );
        throw new Error(
          `${(err as Error).message}; not Running: ${stuck
            .slice(0, 5)
            .map(
              i =>
                `${i.name} phase ${i.phase} generation ${i.generation} observed ${i.observedGeneration} via ${i.gateway}`,
            )
            .join('; ')}`,
        );
      });
      const r = await killBusierGateway(p, fleet.clients, devices, [...names, ...tsNames]);
      assert(r.problems.length === 0, r.problems.join('; '));
      return (
        `killed ${r.killed} (held ${r.held[r.killed]} of ${names.length + TS_CLIENTS}); ${r.reconnected} devices back on ${r.survivor}, ` +
        `max ${(r.maxReconnectMs / 1000).toFixed(1)} s, p50 ${(r.p50ReconnectMs / 1000).toFixed(1)} s; API right after ${(r.apiStatusesRightMs / 1000).toFixed(1)} s; modules re-sent: 0`
      );
    });

    await run(async () => {
      const apply = await kubectl(p.viewerKubeconfig, ['apply', '-f', v1]);
      assert(
        apply.code !== 0 && /Forbidden|forbidden/.test(apply.stderr),
        `viewer apply: exit ${apply.code} ${apply.stderr}`,
      );
      const patch = await kubectl(p.viewerKubeconfig, [
        'patch',
        'device',
        names[0]!,
        '--type',
        'merge',
        '-p',
        '{"spec":{"revoked":true}}',
      ]);
      assert(
        patch.code !== 0 && /Forbidden|forbidden/.test(patch.stderr),
        `viewer patch: exit ${patch.code} ${patch.stderr}`,
      );
      const create = await kubectl(p.viewerKubeconfig, [
        'create',
        'configmap',
        'viewer-was-here',
        '--from-literal=a=b',
      ]);
      assert(
        create.code !== 0 && /Forbidden|forbidden/.test(create.stderr),
        `viewer create: exit ${create.code} ${create.stderr}`,
      );
      const get = await kubectl(p.viewerKubeconfig, ['get', 'devices']);
      assert(get.code === 0, `the viewer cannot even read: ${get.stderr}`);
      const dev = await device(p, names[0]!);
      assert(!dev?.spec?.revoked, 'the viewer revoked a device');
      return apply.stderr.trim().split('\n')[0];
    });

    await run(async () => {
      const target = names[0]!;
      const d = await device(p, target);
      const holder = String(d?.status?.gateway ?? '');
      assert(
        d?.status?.phase === 'Connected' && holder,
        `${target} is not held (${d?.status?.phase})`,
      );
      const other = [...p.gateways.keys()].find(g => g !== holder)!;
      const client = p.gatewayClient(other);
      const path1 = `${resourcePath('Device', NS, target)}/status`;
      const res = await client.raw(
        'PATCH',
        path1,
        { status: { phase: 'Disconnected', gateway: other } },
        'application/merge-patch+json',
      );
      assert(
        res.status === 403,
        `gateway ${other} writing ${target} (held by ${holder}): ${res.status} ${res.body.slice(0, 200)}`,
      );
      const after = await device(p, target);
      assert(
        after?.status?.gateway === holder && after.status.phase === 'Connected',
        'the status changed anyway',
      );
      // The holder itself may: the refusal is about holding, not about the identity's kind.
      const own = await p.gatewayClient(holder).raw('GET', resourcePath('Device', NS, target));
      assert(own.status === 200, `the holder cannot read its device: ${own.status}`);
      return `${other} -> ${target} (held by ${holder}): 403`;
    });

    await run(async () => {
      const out = await kubectlOk(p.adminKubeconfig, ['describe', 'device', names[1]!]);
      const events = out.slice(out.lastIndexOf('Events:'));
      assert(out.includes('Events:') && !/Events:\s*<none>/.test(events), `no Events in:\n${out}`);
      const reasons = [...events.matchAll(/^\s+(Normal|Warning)\s+(\w+)/gm)].map(m => m[2]);
      assert(reasons.length > 0, `no event rows in:\n${events}`);
      process.stdout.write(`${events.trimEnd().replace(/^/gm, '     ')}\n`);
      return `reasons: ${[...new Set(reasons)].join(', ')}`;
    });

    await run(async () => {
      const reported = await Promise.all(names.map(n => device(p, n)));
      const withApp = reported.filter(d =>
        ((d?.status?.apps ?? []) as { name: string }[]).some(x => x.name === APP),
      );
      assert(
        withApp.length === names.length,
        `before the delete only ${withApp.map(d => d?.metadata.name).join(', ') || 'no device'} reported ${APP} in status.apps`,
      );
      await kubectlOk(p.adminKubeconfig, ['delete', 'application', APP, '--wait=false']);
      await until(
        'every Device status.apps empty (as its device reported)',
        async () => {
          const all = await Promise.all(names.map(n => device(p, n)));
          return all.every(d => ((d?.status?.apps ?? []) as unknown[]).length === 0);
        },
        30_000,
        500,
      ).catch(async err => {
        const now = await Promise.all(names.map(n => device(p, n)));
        const said = devices.map(
          d =>
            `${d.name}: status.apps ${JSON.stringify(
              (
                (now.find(r => r?.metadata.name === d.name)?.status?.apps ?? []) as {
                  name: string;
                }[]
              ).map(a => a.name),
            )} now; console ${d.console.some(l => /removed by the gateway/.test(l)) ? 'shows "removed by the gateway"' : 'shows no removal'}`,
        );
        throw new Error(`${(err as Error).message}; ${said.join('; ')}`);
      });
      await until(
        'the AppInstances gone',
        async () => (await instancesOf(p.admin, NS, APP)).length === 0,
        30_000,
        500,
      );
    });

    await run(async () => {
      const target = names[2]!;
      const d = devices[2]!;
      const mark = d.console.length;
      await kubectlOk(p.adminKubeconfig, [
        'patch',
        'device',
        target,
        '--type',
        'merge',
        '-p',
        '{"spec":{"revoked":true}}',
      ]);
      const t0 = Date.now();
      const phase = await until(
        `${target} to leave Connected`,
        async () => {
          const ph = (await device(p, target))?.status?.phase;
          return ph !== 'Connected' && ph;
        },
        30_000,
        200,
      );
      const left = Date.now() - t0;
      const closed = await until(
        'the device console to show the session closed',
        () => {
          const lines = consoleSince(d, mark);
          const at = lines.findIndex(l =>
            /session: closed by the gateway|session: gateway error/.test(l),
          );
          return at >= 0 && lines.slice(at);
        },
        30_000,
        200,
      );
      const refused = await until(
        'a reconnect refused',
        () => {
          const lines = consoleSince(d, mark);
          const at = lines.findIndex(l =>
            /session: closed by the gateway|session: gateway error/.test(l),
          );
          return lines
            .slice(at + 1)
            .find(l => /tls: handshake failed|REFUSED|gateway error|closed by the gateway/.test(l));
        },
        45_000,
        200,
      );
      const dev = await device(p, target);
      assert(dev?.status?.phase !== 'Connected', `${target} is Connected again`);
      return `phase ${phase} after ${(left / 1000).toFixed(1)} s; console: "${closed[0]}" then "${refused}"`;
    });
  } catch (err) {
    process.stdout.write(`suite error: ${(err as Error).stack}\n`);
    for (const c of checks.splice(0)) suite.fail(c, 'not reached');
  } finally {
    fleet?.close();
    await stopDevices(devices).catch(() => {});
    await platform?.stop().catch(() => {});
    if (suite.failed > 0 || keep) process.stdout.write(`logs kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`${suite.summary()}\n`);
    process.exitCode = suite.failed > 0 ? 1 : 0;
  }
}

void main();
