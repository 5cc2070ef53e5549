import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startKubeApiServer } from '../cluster/kubeApiServer';
import { startProcess } from '../cluster/processes';
import type { ApiEndpoint } from './apiBenchHttp';

/** A server under test: where it listens, which processes are it (for RSS), how to stop it. */
export interface BenchServer extends ApiEndpoint {
  name: 'embedded' | 'kube';
  pids(): number[];
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '../..');
const SERVING = /^wasmbed-api: serving (https:\/\/\S+) \(kubeconfig (.+)\)$/m;

/**
 * The embedded API server as users run it (`backend/src/cli/api.ts`), started with node's own
 * `--import tsx` rather than the tsx CLI so the pid measured is the server itself, not a
 * wrapper process.
 */
export async function startEmbedded(workDir: string, tokenAuthFile: string): Promise<BenchServer> {
  const dataDir = join(workDir, 'embedded-data');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(workDir, 'embedded.log');
  const args = ['--import', 'tsx', join(ROOT, 'backend/src/cli/api.ts')];
  args.push('--data', dataDir, '--port', '0', '--token-auth-file', tokenAuthFile);
  const server = startProcess('embedded API server', process.execPath, args, logFile, ROOT);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = SERVING.exec(readFileSync(logFile, 'utf8'));
    if (match) {
      return {
        name: 'embedded',
        url: match[1]!,
        caPem: readFileSync(join(dataDir, 'ca.crt'), 'utf8'),
        pids: () => (server.isRunning() ? [server.pid] : []),
        stop: () => server.stop(),
      };
    }
    if (!server.isRunning() || Date.now() > deadline) {
      await server.stop();
      throw new Error(`the embedded API server did not start:\n${server.logTail()}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

export async function startKube(workDir: string, tokenAuthFile: string): Promise<BenchServer> {
  const kube = await startKubeApiServer({ workDir: join(workDir, 'kube'), tokenAuthFile });
  return {
    name: 'kube',
    url: kube.url,
    caPem: kube.caPem,
    pids: () => kube.pids(),
    stop: () => kube.stop(),
  };
}

/** Resident and peak resident memory of processes, summed, in MiB (from /proc). */
export function memoryMiB(pids: number[]): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const pid of pids) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    rss += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    peak += Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  }
  return { rss: rss / 1024, peak: peak / 1024 };
}
