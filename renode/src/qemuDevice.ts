import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROVISIONING_ADDRESS, provisioningBlock, type Provisioning } from './provisioning';

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
 * address, user networking (the host's loopback is 10.0.2.2) and its flash in a host file
 * through semihosting.
 */
export class QemuDevice {
  private process: ChildProcess | undefined;

  constructor(readonly options: QemuDeviceOptions) {}

  start(): void {
    const { board, elf, dir } = this.options;
    const address = PROVISIONING_ADDRESS[board];
    if (address === undefined) throw new Error(`no QEMU board named ${board}`);
    mkdirSync(dir, { recursive: true });
    const block = path.join(dir, 'provisioning.bin');
    writeFileSync(block, provisioningBlock({ ...this.options.provisioning, flash: 'flash.bin' }));
    const args = [
      '-M',
      board,
      '-nographic',
      '-monitor',
      'none',
      '-kernel',
      elf,
      '-nic',
      'user,model=lan9118',
      '-semihosting-config',
      'enable=on,target=native',
      '-device',
      `loader,file=${block},addr=0x${address.toString(16)}`,
    ];
    const child = spawn('qemu-system-arm', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
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
