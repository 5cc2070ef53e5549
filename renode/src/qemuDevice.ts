import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './firmwareImage';
import { PROVISIONING_ADDRESS, provisioningBlock, type Provisioning } from './provisioning';

/** The device's flash file: the board's PSRAM, mapped whole (device-qemu.sh refuses another size). */
export const FLASH_FILE_BYTES = 16 * 1024 * 1024;

/** The launcher's arguments for `bash` (it execs QEMU, so the child's pid is QEMU's). */
export function deviceQemuArgs(board: string, elf: string, block: string, flash: string): string[] {
  return [path.join(REPO, 'firmware/scripts/device-qemu.sh'), board, elf, block, flash];
}

export interface QemuDeviceOptions {
  board: string;
  elf: string;
  /** Where the device's provisioning block and flash file live; survives restarts. */
  dir: string;
  provisioning: Omit<Provisioning, 'flash'>;
  onConsole?: (line: string) => void;
}

/**
 * One emulated device: QEMU with the board's image, its provisioning block at the board's
 * address, user networking (the host's loopback is 10.0.2.2) and its flash in `dir/flash.bin`,
 * mapped into the guest as memory. The command line is firmware/scripts/device-qemu.sh, the
 * one the device tests run: no semihosting, QEMU's seccomp sandbox, fresh per-boot entropy.
 */
export class QemuDevice {
  private process: ChildProcess | undefined;

  constructor(readonly options: QemuDeviceOptions) {}

  start(): void {
    const { board, elf, dir } = this.options;
    if (PROVISIONING_ADDRESS[board] === undefined) throw new Error(`no QEMU board named ${board}`);
    // The flash file holds the device's private key in clear: owner-only, like a key file.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const block = path.join(dir, 'provisioning.bin');
    writeFileSync(block, provisioningBlock({ ...this.options.provisioning, flash: 'flash.bin' }));
    const args = deviceQemuArgs(board, elf, block, path.join(dir, 'flash.bin'));
    const child = spawn('bash', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) this.options.onConsole?.(line);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  }

  get running(): boolean {
    return !!this.process && this.process.exitCode === null && this.process.signalCode === null;
  }

  stop(): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return Promise.resolve();
    return new Promise(resolve => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
