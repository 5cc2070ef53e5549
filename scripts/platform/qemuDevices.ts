import { appendFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { deviceImage } from '../../renode/src/firmwareImage';
import { FLASH_FILE_BYTES, QemuDevice } from '../../renode/src/qemuDevice';

/** Console lines kept per device (the rest is dropped: a chatty device must not grow us). */
const CONSOLE_LINES = 2000;

export interface EmulatedDevice {
  name: string;
  board: string;
  qemu: QemuDevice;
  /** The last console lines, oldest first. */
  console: string[];
  /** When each of `console` arrived (Date.now()), index for index. */
  consoleAt: number[];
  /** True when the device's flash holds an earlier enrollment (no token needed). */
  enrolledBefore: boolean;
}

const images = new Map<string, string>();

/**
 * The board's firmware image, built (incrementally, by make) once per process. The build is
 * synchronous: call this for every board before anything that must keep answering starts
 * (a blocked event loop lets the API server close our idle connections under us).
 */
export function boardImage(board: string): string {
  let elf = images.get(board);
  if (!elf) images.set(board, (elf = deviceImage(board)));
  return elf;
}

/** Whether DIR holds a usable flash file of the current firmware's format. */
export function hasFlash(dir: string): boolean {
  const flash = path.join(dir, 'flash.bin');
  if (!existsSync(flash)) return false;
  if (statSync(flash).size === FLASH_FILE_BYTES) return true;
  rmSync(flash); // an older firmware's format cannot be mapped: the device starts afresh
  return false;
}

/**
 * Starts one QEMU device provisioned with every gateway's device port as QEMU's user
 * networking lets the guest reach the host (10.0.2.2:PORT), in turn. `token` is given on a
 * first boot only; a device whose flash holds its certificate reconnects without one.
 */
export function startQemuDevice(o: {
  name: string;
  board: string;
  dir: string;
  gatewayPorts: number[];
  caPem: string;
  token?: string;
  onConsole?: (line: string) => void;
}): EmulatedDevice {
  const elf = boardImage(o.board);
  const enrolledBefore = hasFlash(o.dir);
  const consoleLines: string[] = [];
  const consoleAt: number[] = [];
  // The whole console also goes to DIR/console.log, for the post-mortem of a failed run.
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const consoleFile = path.join(o.dir, 'console.log');
  const qemu = new QemuDevice({
    board: o.board,
    elf,
    dir: o.dir,
    provisioning: {
      gateways: o.gatewayPorts.map(p => `10.0.2.2:${p}`),
      device: o.name,
      ...(o.token ? { token: o.token } : {}),
      caPem: o.caPem,
    },
    onConsole: line => {
      consoleLines.push(line);
      consoleAt.push(Date.now());
      appendFileSync(consoleFile, `${new Date().toISOString()} ${line}\n`);
      if (consoleLines.length > CONSOLE_LINES) {
        consoleAt.splice(0, consoleLines.length - CONSOLE_LINES);
        consoleLines.splice(0, consoleLines.length - CONSOLE_LINES);
      }
      o.onConsole?.(line);
    },
  });
  qemu.start();
  return {
    name: o.name,
    board: o.board,
    qemu,
    console: consoleLines,
    consoleAt,
    enrolledBefore,
  };
}

/** Stops every device (SIGTERM to QEMU) and waits until they are gone. */
export async function stopDevices(devices: EmulatedDevice[]): Promise<void> {
  await Promise.all(devices.map(d => d.qemu.stop()));
}

/**
 * On SIGINT/SIGTERM: SIGTERM to every QEMU of `devices` (synchronously), then exit 130, which
 * also ends the processes test/cluster/processes.ts started (its exit hook). For the suites
 * and benches; `up` stops everything gracefully itself.
 */
export function stopDevicesOnSignals(devices: EmulatedDevice[]): void {
  const handler = () => {
    for (const d of devices) void d.qemu.stop();
    process.exit(130);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
