/**
 * `./wasmbed up`: the embedded platform on this machine. The API server (state in
 * .wasmbed/api/), the controllers, two gateways as separate processes, three QEMU devices on
 * different boards registered as Device resources with bootstrap tokens in Secrets, and the
 * telemetry example app declared as an Application targeting them. Every 10 s it prints one
 * line per device read from the API, as a user with kubectl would see it. Ctrl-C stops it all;
 * the next `up` comes back with the same fleet and app (API state and device flash persist).
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { appInstanceName } from '@wasmbed/plugin-wasmbed-common';
import { exampleApp } from '../renode/src/firmwareImage';
import { kubectlPath } from '../test/cluster/paths';
import { applicationResource, registerDevice } from './platform/fleet';
import { resourcePath, type KubeObject } from './platform/kubeClient';
import { startPlatform, type Platform } from './platform/platform';
import { REPO } from './platform/processes';
import {
  hasFlash,
  boardImage,
  startQemuDevice,
  stopDevices,
  type EmulatedDevice,
} from './platform/qemuDevices';

const BOARDS = ['mps2-an385', 'mps2-an386', 'mps2-an505'];
const APP = 'telemetry';
const STATE = path.join(REPO, '.wasmbed');
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Device phase, app phase and last uptime value of each device, from the API. */
async function statusLines(platform: Platform, names: string[]): Promise<string[]> {
  const ns = platform.namespace;
  return Promise.all(
    names.map(async name => {
      const device = await platform.admin.find(resourcePath('Device', ns, name));
      const instance = await platform.admin.find(
        resourcePath('AppInstance', ns, appInstanceName(APP, name)),
      );
      // The newest uptime sample: topics of an earlier config stay listed with their last value.
      const telemetry = (
        (instance?.status?.telemetry ?? []) as { topic: string; value: number; time: string }[]
      )
        .filter(t => t.topic.endsWith('/uptime_s'))
        .sort((a, b) => a.time.localeCompare(b.time))
        .at(-1);
      const gateway = device?.status?.gateway ? ` via ${String(device.status.gateway)}` : '';
      return (
        `  status ${name}: ${String(device?.status?.phase ?? 'Pending')}${gateway}` +
        `, app ${APP} ${String(instance?.status?.phase ?? (instance ? 'Pending' : 'not placed'))}` +
        (telemetry ? `, last ${telemetry.topic}=${telemetry.value}` : '')
      );
    }),
  );
}

async function main() {
  say('Wasmbed (embedded mode): API server, controllers, 2 gateways, 3 QEMU devices');
  let platform: Platform | undefined;
  const devices: EmulatedDevice[] = [];
  let status: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(status);
    say('stopping: devices, gateways, controllers, API server');
    await stopDevices(devices);
    await platform?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    for (const board of BOARDS) boardImage(board); // make is synchronous: before anything runs
    platform = await startPlatform({ dir: STATE, log: line => say(`  ${line}`) });
    const ns = platform.namespace;
    const caPem = await platform.fleetCaPem();
    const ports = [...platform.gateways.values()].map(g => g.port);
    const names: string[] = [];
    for (const board of BOARDS) {
      const name = `demo-${board}`;
      names.push(name);
      const dir = path.join(STATE, 'devices', name);
      const known = await platform.admin.find(resourcePath('Device', ns, name));
      let token: string | undefined;
      if (!known || !hasFlash(dir)) {
        // A device the API does not know, or one without its flash, starts afresh.
        if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
        token = await registerDevice(platform.admin, ns, name, board);
      }
      devices.push(
        startQemuDevice({
          name,
          board,
          dir,
          gatewayPorts: ports,
          caPem,
          ...(token ? { token } : {}),
          onConsole: line => say(`  [${name}] ${line}`),
        }),
      );
      say(
        `  started QEMU ${board} as ${name}${token ? ' (first boot: it enrolls)' : ' (enrolled before)'}`,
      );
    }
    await platform.admin.upsert(
      resourcePath('Application', ns),
      applicationResource({
        name: APP,
        namespace: ns,
        moduleFile: exampleApp('telemetry'),
        devices: names,
        config: { topic: 'telemetry' },
        maxUnavailable: 1,
      }) as KubeObject,
    );
    const kubectl = existsSync(kubectlPath) ? path.relative(process.cwd(), kubectlPath) : 'kubectl';
    const kc = path.relative(process.cwd(), platform.adminKubeconfig);
    say('');
    say(`kubeconfig: ${platform.adminKubeconfig}`);
    say(`viewer (read-only) kubeconfig: ${platform.viewerKubeconfig}`);
    say('try:');
    say(`  export KUBECONFIG=${kc}`);
    say(`  ${kubectl} get devices,applications,appinstances,gateways`);
    say(`  ${kubectl} get appinstances -l wasmbed.io/application=${APP}`);
    say(`  ${kubectl} wait --for=condition=Available application/${APP}`);
    say(`  ${kubectl} describe device ${names[0]}`);
    say(
      `  ${kubectl} patch application ${APP} --type merge -p '{"spec":{"config":{"topic":"v2"}}}'`,
    );
    say(`  ${kubectl} get leases`);
    say('Ctrl-C stops everything; the next ./wasmbed up comes back with the same fleet.');
    say('');
    const p = platform;
    status = setInterval(() => {
      statusLines(p, names).then(
        lines => lines.forEach(say),
        err => say(`  status: the API did not answer (${(err as Error).message})`),
      );
    }, 10_000);
  } catch (err) {
    process.stderr.write(`wasmbed up: ${(err as Error).message}\n`);
    await stop(1);
  }
}

void main();
