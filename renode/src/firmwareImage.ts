import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
const FIRMWARE = path.join(REPO, 'firmware');

/**
 * Builds (incrementally) the device firmware image for a board: third-party sources from
 * Debian source packages, the TLS library, then the image. Returns the ELF path.
 */
export function deviceImage(board: string, log: (line: string) => void = () => {}): string {
  const run = (what: string, cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer };
      const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n').slice(-15).join('\n');
      throw new Error(`${what} failed:\n${output}`);
    }
  };
  const elf = path.join(FIRMWARE, 'build/device', board, 'device.elf');
  log(`building firmware for ${board}`);
  run('fetching lwIP (apt-get source)', 'bash', [path.join(FIRMWARE, 'scripts/fetch-lwip.sh')]);
  run('fetching wolfSSL (apt-get source)', 'bash', [
    path.join(FIRMWARE, 'scripts/fetch-wolfssl.sh'),
  ]);
  run('building the TLS library', 'make', ['-s', '-C', path.join(FIRMWARE, 'tls'), 'm3']);
  run(`building the ${board} image`, 'make', [
    '-s',
    '-C',
    path.join(FIRMWARE, 'device'),
    `BOARD=${board}`,
  ]);
  if (!existsSync(elf)) throw new Error(`the build left no ${elf}`);
  return elf;
}

/** The example apps (AssemblyScript), built if missing. Returns the path of one. */
export function exampleApp(name: 'telemetry' | 'blinky'): string {
  const file = path.join(FIRMWARE, 'build/apps', `${name}.wasm`);
  if (!existsSync(file))
    execFileSync(process.execPath, [path.join(FIRMWARE, 'sdk/scripts/build-apps.mjs')], {
      cwd: REPO,
      stdio: 'ignore',
    });
  return file;
}
