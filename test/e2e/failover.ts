/**
 * `npm run e2e:failover [-- --clients N]`: two gateway processes, N TypeScript device clients
 * (default 500, each knowing both gateways) plus the three QEMU devices, an app deployed to
 * all. Then `kill -9` of one gateway: every device must be connected again within 30 s, no
 * app re-sent to a device that still had it, and the Device statuses read from the API must
 * say Connected via the survivor. Prints the reconnect times (max, p50) and, last, a JSON line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exampleApp } from '../../renode/src/firmwareImage';
import { resourcePath, type KubeObject } from '../../scripts/platform/kubeClient';
import { startPlatform, type Platform } from '../../scripts/platform/platform';
import { until } from '../../scripts/platform/processes';
import { stopDevices, type EmulatedDevice } from '../../scripts/platform/qemuDevices';
import { startQemuFleet } from './qemuFleet';
import { available } from './rollout';
import { deploysReceived, startTsFleet, type TsFleet } from './tsFleet';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    qemu: { type: 'boolean', default: true },
  },
});
const CLIENTS = Number(values.clients);
const DEADLINE_MS = 30_000;
const APP = 'failover';
const say = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], q: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
    : NaN;
}

async function listAll(p: Platform, kind: string): Promise<KubeObject[]> {
  return p.admin.list(resourcePath(kind, p.namespace));
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbed-failover-'));
  let platform: Platform | undefined;
  let devices: EmulatedDevice[] = [];
  let fleet: TsFleet | undefined;
  const problems: string[] = [];
  let summary: Record<string, unknown> = {};
  try {
    platform = await startPlatform({ dir: path.join(dir, 'platform'), log: l => say(`  ${l}`) });
    const p = platform;
    const caPem = await p.fleetCaPem();
    const t = Date.now();
    fleet = await startTsFleet(p, 'ts', CLIENTS, caPem);
    say(
      `  ${CLIENTS} TypeScript clients enrolled and connected in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    if (values.qemu) {
      const q = await startQemuFleet(p, path.join(dir, 'devices'), 'qemu');
      devices = q.devices;
      say(`  3 QEMU devices Connected in ${(q.connectMs / 1000).toFixed(1)} s`);
    }
    const total = CLIENTS + devices.length;
    const t1 = Date.now();
    await p.admin.create(resourcePath('Application', p.namespace), {
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Application',
      metadata: { name: APP, namespace: p.namespace },
      spec: {
        module: { inline: readFileSync(exampleApp('telemetry')).toString('base64') },
        target: { all: true },
        config: { topic: 'failover' },
        activation: { periodMs: 2000 },
        rollout: { maxUnavailable: total },
      },
    });
    await until(
      `${total} AppInstances Running`,
      async () => {
        const list = await listAll(p, 'AppInstance');
        return list.length === total && list.every(available);
      },
      180_000,
      1000,
    );
    say(`  app on all ${total} devices Running in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    const devicesBefore = await listAll(p, 'Device');
    const held = new Map<string, number>();
    for (const d of devicesBefore)
      held.set(String(d.status?.gateway), (held.get(String(d.status?.gateway)) ?? 0) + 1);
    const victim = [...p.gateways.keys()].sort(
      (a, b) => (held.get(b) ?? 0) - (held.get(a) ?? 0),
    )[0]!;
    const survivor = [...p.gateways.keys()].find(g => g !== victim)!;
    const victimPort = p.gateways.get(victim)!.port;
    const orphans = fleet.clients.filter(c => c.lastConnected?.gateway.port === victimPort);
    const deploysBefore = deploysReceived(fleet.clients);
    const consoleMarks = devices.map(d => d.console.length);
    const qemuOrphans = devicesBefore
      .filter(d => d.status?.gateway === victim && d.metadata.name.startsWith('qemu-'))
      .map(d => d.metadata.name);
    say(`  gateways hold ${[...held].map(([g, n]) => `${g}: ${n}`).join(', ')}; kill -9 ${victim}`);

    const reconnect = new Map<string, number>();
    let t0 = Date.now();
    for (const c of orphans)
      c.on('connected', info => {
        if (info.atMs > t0 && !reconnect.has(c.identity.name))
          reconnect.set(c.identity.name, info.atMs - t0);
      });
    t0 = Date.now();
    await p.gateways.get(victim)!.kill9();
    const qemuBack = new Map<string, number>();
    try {
      await until(
        'every device connected again',
        async () => {
          for (const name of qemuOrphans) {
            if (qemuBack.has(name)) continue;
            const s = (await p.admin.get(resourcePath('Device', p.namespace, name))).status;
            if (s?.phase === 'Connected' && s.gateway === survivor)
              qemuBack.set(name, Date.now() - t0);
          }
          return reconnect.size === orphans.length && qemuBack.size === qemuOrphans.length;
        },
        DEADLINE_MS,
        100,
      );
    } catch (err) {
      problems.push(
        `${(err as Error).message}: ${reconnect.size}/${orphans.length} clients, ${qemuBack.size}/${qemuOrphans.length} QEMU`,
      );
    }
    const times = [...reconnect.values(), ...qemuBack.values()].sort((a, b) => a - b);
    const reconnected = Date.now() - t0;
    say(
      `  reconnected: ${times.length} of ${orphans.length + qemuOrphans.length} devices; max ${percentile(times, 1)} ms, p50 ${percentile(times, 0.5)} ms`,
    );

    // The API's view right afterwards: every Device Connected via the survivor.
    let statusMs = NaN;
    try {
      await until(
        'every Device Connected via the survivor in the API',
        async () => {
          const list = await listAll(p, 'Device');
          return (
            list.length === total &&
            list.every(d => d.status?.phase === 'Connected' && d.status.gateway === survivor)
          );
        },
        DEADLINE_MS,
        250,
      );
      statusMs = Date.now() - t0;
    } catch (err) {
      const list = await listAll(p, 'Device');
      const wrong = list.filter(
        d => !(d.status?.phase === 'Connected' && d.status.gateway === survivor),
      );
      problems.push(
        `${(err as Error).message}: ${wrong.length} not so, e.g. ${wrong
          .slice(0, 3)
          .map(d => `${d.metadata.name} ${d.status?.phase} via ${d.status?.gateway}`)
          .join('; ')}`,
      );
    }
    const resent = deploysReceived(fleet.clients) - deploysBefore;
    const qemuResent = devices.filter((d, i) =>
      d.console.slice(consoleMarks[i]).some(l => /deploy \S+: begin/.test(l)),
    ).length;
    if (resent > 0) problems.push(`${resent} modules re-sent to TypeScript clients`);
    if (qemuResent > 0) problems.push(`modules re-sent to ${qemuResent} QEMU devices`);
    const instances = await listAll(p, 'AppInstance');
    const notRunning = instances.filter(i => !available(i));
    if (notRunning.length)
      problems.push(`${notRunning.length} AppInstances not Running after the takeover`);
    summary = {
      bench: 'e2e-failover',
      clients: CLIENTS,
      qemu: devices.length,
      killed: victim,
      orphaned: orphans.length + qemuOrphans.length,
      reconnected: times.length,
      maxReconnectMs: percentile(times, 1),
      p50ReconnectMs: percentile(times, 0.5),
      allReconnectedMs: reconnected,
      apiStatusesRightMs: statusMs,
      deploysResent: resent + qemuResent,
      ok: problems.length === 0 && percentile(times, 1) <= DEADLINE_MS,
    };
  } catch (err) {
    problems.push(`failover run failed: ${(err as Error).message}`);
  } finally {
    fleet?.close();
    await stopDevices(devices).catch(() => {});
    await platform?.stop().catch(() => {});
    for (const problem of problems) say(`FAIL ${problem}`);
    if (problems.length) say(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    say(JSON.stringify({ ...summary, problems }));
    process.exitCode = problems.length ? 1 : 0;
  }
}

void main();
