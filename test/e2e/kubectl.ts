import { execFile } from 'node:child_process';
import { kubectlPath } from '../cluster/paths';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the pinned kubectl (1.32.13) with one kubeconfig; never throws on a non-zero exit. */
export function kubectl(
  kubeconfig: string,
  args: string[],
  timeoutMs = 120_000,
): Promise<KubectlResult> {
  return new Promise(resolve => {
    execFile(
      kubectlPath,
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** kubectl that must succeed: returns stdout, throws with stderr otherwise. */
export async function kubectlOk(kubeconfig: string, args: string[], timeoutMs?: number) {
  const r = await kubectl(kubeconfig, args, timeoutMs);
  if (r.code !== 0)
    throw new Error(
      `kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r.stdout;
}
