import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startProcess, type ManagedProcess } from '../../test/cluster/processes';

export type { ManagedProcess };

export const REPO = path.resolve(__dirname, '../..');

/**
 * A TypeScript entry point as ONE node process (`node --import tsx FILE`, no npx wrapper), so
 * the pid we hold is the program's own and `kill -9` reaches it. Its output goes to `logFile`;
 * it dies with us (setpriv --pdeathsig, see test/cluster/processes.ts).
 */
export function startTsProcess(
  name: string,
  entry: string,
  args: string[],
  logFile: string,
): ManagedProcess {
  return startProcess(
    name,
    process.execPath,
    ['--import', 'tsx', path.join(REPO, entry), ...args],
    logFile,
    REPO,
  );
}

/** Resolves with the first match of `pattern` in the process's log; rejects if it exits first. */
export async function waitForLog(
  proc: ManagedProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(proc.logFile, 'utf8');
    } catch {
      // not written yet
    }
    const m = pattern.exec(text);
    if (m) return m;
    if (!proc.isRunning())
      throw new Error(`${proc.name} exited before it logged ${pattern}:\n${proc.logTail(40)}`);
    if (Date.now() > deadline)
      throw new Error(
        `${proc.name} did not log ${pattern} in ${timeoutMs} ms:\n${proc.logTail(40)}`,
      );
    await new Promise(r => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false, or throws at the deadline. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError ? ` (last error: ${(lastError as Error).message})` : ''),
      );
    await sleep(everyMs);
  }
}
