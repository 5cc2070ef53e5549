import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

/**
 * Long-running helper processes (etcd, kube-apiserver) that must never outlive the test that
 * started them: a failing test, a Ctrl-C or a crash of the Node process all end them too.
 */
const running = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal (and may stop the processes gracefully); the exit hook
  // remains the backstop.
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  process.removeListener(signal, onSignal);
  // Re-raise for the default action (the process ends by this signal, as it would have).
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
}

/**
 * Starts `command` with stdout/stderr into `logFile`. It runs under `setpriv --pdeathsig
 * SIGKILL` so the kernel kills it even if this Node process dies by SIGKILL (no exit hook
 * runs then); setpriv execs the command, so the pid is the command's own.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  cwd?: string,
): ManagedProcess {
  installHooks();
  const fd = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', command, ...args], {
    stdio: ['ignore', fd, fd],
    cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  running.add(child);
  const exited = new Promise<number | NodeJS.Signals>(resolve => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? code ?? 0);
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  return {
    name,
    pid: child.pid,
    logFile,
    exited,
    isRunning: () => !done,
    logTail,
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
