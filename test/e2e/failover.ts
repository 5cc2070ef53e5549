/**
 * `npm run e2e:failover [-- --clients N] [--no-qemu]`: two gateway processes, N TypeScript
 * device clients (default 500, each knowing both gateways) plus three QEMU devices, an app
 * deployed to all. Then `kill -9` of the gateway holding more devices: every device must be
 * connected again within 30 s, no app re-sent to a device that still had it, and the Device
 * statuses read from the API must say Connected via the survivor. Last line: JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exampleApp } from '../../renode/src/firmwareImage';
import { resourcePath } from '../../scripts/platform/kubeClient';
import { startPlatform, type Platform } from '../../scripts/platform/platform';
import { until } from '../../scripts/platform/processes';
import { boardImage, stopDevices, type EmulatedDevice } from '../../scripts/platform/qemuDevices';
import { BOARDS, startQemuFleet } from './qemuFleet';
import { available } from './rollout';
import { killBusierGateway, type TakeoverResult } from './takeover';
import { startTsFleet, type TsFleet } from './tsFleet';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    'no-qemu': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const APP = 'failover';
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbed-failover-'));
  let platform: Platform | undefined;
  let devices: EmulatedDevice[] = [];
  let fleet: TsFleet | undefined;
  const problems: string[] = [];
  let result: Partial<TakeoverResult> = {};
  try {
    if (!values['no-qemu']) for (const board of BOARDS) boardImage(board); // make is synchronous
    platform = await startPlatform({ dir: path.join(dir, 'platform'), log: l => say(`  ${l}`) });
    const p = platform;
    const caPem = await p.fleetCaPem();
    const t = Date.now();
    fleet = await startTsFleet(p, 'ts', CLIENTS, caPem);
    say(
      `  ${CLIENTS} TypeScript clients enrolled and connected in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    if (!values['no-qemu']) {
      const q = await startQemuFleet(p, path.join(dir, 'devices'), 'qemu');
      devices = q.devices;
      say(`  3 QEMU devices Connected in ${(q.connectMs / 1000).toFixed(1)} s`);
    }
    const names = [...fleet.clients.map(c => c.identity.name), ...devices.map(d => d.name)];
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
        rollout: { maxUnavailable: names.length },
      },
    });
    // The app on every device, as the devices themselves say: each client committed a deploy,
    // each QEMU console printed its deploy result.
    await until(
      'the app deployed on every device',
      () =>
        fleet!.clients.every(c => (c.deploysCommitted.get(APP) ?? 0) > 0) &&
        devices.every(d => d.console.some(l => l.startsWith(`deploy ${APP}: result ok`))),
      180_000,
      500,
    );
    say(
      `  app deployed on all ${names.length} devices ${((Date.now() - t1) / 1000).toFixed(1)} s after the create`,
    );
    const running = await until(
      `${names.length} AppInstances Running in the API`,
      async () => {
        const list = await p.admin.list(resourcePath('AppInstance', p.namespace));
        return list.length === names.length && list.every(available) && list.length;
      },
      30_000,
      1000,
    ).catch(
      async () =>
        (await p.admin.list(resourcePath('AppInstance', p.namespace))).filter(available).length,
    );
    if (running !== names.length)
      problems.push(
        `only ${running} of ${names.length} AppInstances Running in the API before the kill (the devices run the app)`,
      );
    say(`  AppInstances Running in the API: ${running} of ${names.length}`);
    result = await killBusierGateway(p, fleet.clients, devices, names);
    problems.push(...result.problems!);
    say(
      `  kill -9 ${result.killed} (held ${result.held![result.killed!]}): ${result.reconnected} of ${result.orphaned} devices connected again, ` +
        `max ${result.maxReconnectMs} ms, p50 ${result.p50ReconnectMs} ms; API shows all via ${result.survivor} ${result.apiStatusesRightMs} ms after the kill (last Unreachable ${result.lastUnreachableMs} ms, last written Connected by the survivor ${result.lastTakenOverMs} ms); modules re-sent: ${result.deploysResent}`,
    );
  } catch (err) {
    problems.push(`failover run failed: ${(err as Error).message}`);
  } finally {
    fleet?.close();
    await stopDevices(devices).catch(() => {});
    await platform?.stop().catch(() => {});
    for (const problem of problems) say(`FAIL ${problem}`);
    if (problems.length || values.keep) say(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    const { problems: _, ...figures } = result;
    say(
      JSON.stringify({
        bench: 'e2e-failover',
        clients: CLIENTS,
        qemu: devices.length,
        ...figures,
        ok: problems.length === 0,
        problems,
      }),
    );
    process.exitCode = problems.length ? 1 : 0;
  }
}

void main();
