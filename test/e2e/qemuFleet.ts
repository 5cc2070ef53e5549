import path from 'node:path';
import { registerDevice } from '../../scripts/platform/fleet';
import { resourcePath } from '../../scripts/platform/kubeClient';
import type { Platform } from '../../scripts/platform/platform';
import { until } from '../../scripts/platform/processes';
import {
  startQemuDevice,
  stopDevicesOnSignals,
  type EmulatedDevice,
} from '../../scripts/platform/qemuDevices';

export const BOARDS = ['mps2-an385', 'mps2-an386', 'mps2-an505'];

/** One console line with the time it arrived (ms since the epoch). */
export interface TimedLine {
  at: number;
  line: string;
}

/**
 * Registers and starts one QEMU device per board (provisioned with every gateway) and waits
 * until the API shows each Connected. Console lines are also kept with their arrival time.
 */
export async function startQemuFleet(
  p: Platform,
  dir: string,
  prefix: string,
  timeoutMs = 180_000,
): Promise<{ devices: EmulatedDevice[]; timed: Map<string, TimedLine[]>; connectMs: number }> {
  const caPem = await p.fleetCaPem();
  const ports = [...p.gateways.values()].map(g => g.port);
  const devices: EmulatedDevice[] = [];
  stopDevicesOnSignals(devices);
  const timed = new Map<string, TimedLine[]>();
  const start = Date.now();
  for (const board of BOARDS) {
    const name = `${prefix}-${board.replace('mps2-', '')}`;
    const token = await registerDevice(p.admin, p.namespace, name, board);
    const lines: TimedLine[] = [];
    timed.set(name, lines);
    devices.push(
      startQemuDevice({
        name,
        board,
        dir: path.join(dir, name),
        gatewayPorts: ports,
        caPem,
        token,
        onConsole: line => {
          lines.push({ at: Date.now(), line });
          if (lines.length > 5000) lines.splice(0, 1000);
        },
      }),
    );
  }
  try {
    await until(
      'every QEMU device Connected',
      async () => {
        const all = await Promise.all(
          devices.map(d => p.admin.find(resourcePath('Device', p.namespace, d.name))),
        );
        return all.every(d => d?.status?.phase === 'Connected');
      },
      timeoutMs,
      300,
    );
  } catch (err) {
    for (const d of devices)
      process.stderr.write(`[${d.name}] ${d.console.slice(-10).join(`\n[${d.name}] `)}\n`);
    throw err;
  }
  return { devices, timed, connectMs: Date.now() - start };
}
