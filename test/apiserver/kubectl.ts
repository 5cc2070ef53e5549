/**
 * The real kubectl, pinned to the version the suite was written against (built by
 * test/cluster/kube.sh next to kube-apiserver). WASMBED_KUBECTL overrides it for exploring.
 */
import { spawn } from 'node:child_process';
import { kubectlPath } from '../cluster/paths';

export const KUBECTL = process.env.WASMBED_KUBECTL ?? kubectlPath;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const KUBECTL_TIMEOUT_MS = 60_000;

/**
 * Runs kubectl with a kubeconfig and a discovery cache of its own (a cache shared by two
 * servers would let one server's discovery answer for the other).
 */
export function runKubectl(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
  stdin?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // No ambient configuration: neither the user's KUBECONFIG nor kubectl's plugins.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, KUBECTL_KUBERC: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MS);
    child.on('error', err => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // kubectl may exit before reading stdin
    child.stdin.end(stdin ?? '');
  });
}

export interface RunningKubectl {
  /** Output so far. */
  stdout(): string;
  /** Resolves once stdout satisfies `cond`, or rejects after `timeoutMs`. */
  waitFor(cond: (stdout: string) => boolean, timeoutMs: number): Promise<void>;
  /** Ends kubectl (SIGTERM) and returns what it printed. */
  stop(): Promise<KubectlResult>;
}

/** kubectl that runs until stopped (`get -w`): its output is read while it runs. */
export function startKubectl(kubeconfig: string, cacheDir: string, args: string[]): RunningKubectl {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, KUBECTL_KUBERC: 'false' },
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    listeners.forEach(l => l());
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const closed = new Promise<number>(resolve => child.on('close', code => resolve(code ?? -1)));
  const guard = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MS);
  return {
    stdout: () => stdout,
    waitFor: (cond, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (cond(stdout)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `kubectl ${args.join(' ')}: awaited output not seen in ${timeoutMs} ms:\n${stdout}${stderr}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await closed;
      clearTimeout(guard);
      return { code, stdout, stderr };
    },
  };
}
