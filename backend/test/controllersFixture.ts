/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON answers, read field by field in assertions */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';

/**
 * Processes and clients for the controllers' tests: the embedded API server (with a token
 * file, so a test can act as a gateway or a viewer) and the controllers CLI, each ONE real
 * node process (`node --import tsx`), and a small JSON client that speaks as any of those
 * identities. The API server is started here rather than with `apiProcess.ts` only because
 * that helper takes no `--token-auth-file`.
 */

const ROOT = resolve(__dirname, '../..');

export interface Identity {
  token: string;
}

export interface ApiServer {
  child: ChildProcess;
  url: string;
  ca: string;
  kubeconfig: string;
  admin: Identity;
  gateway: (name: string) => Identity;
  stderr: () => string;
}

function spawnNode(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the stdout match once a line matching `ready` appears (30 s at most). */
function waitForLine(
  child: ChildProcess,
  ready: RegExp,
  what: string,
  stderr: () => string,
): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not report ready in 30 s; stderr:\n${stderr()}`));
    }, 30_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready; stderr:\n${stderr()}`));
    };
    child.once('exit', onExit);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      resolvePromise(m);
    });
  });
}

function captureStderr(child: ChildProcess): () => string {
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-200_000);
  });
  return () => err;
}

export const GATEWAY_NAMES = ['gw-a', 'gw-b'];

export async function startApiServer(dir: string): Promise<ApiServer> {
  mkdirSync(dir, { recursive: true });
  const tokens = new Map(GATEWAY_NAMES.map(g => [g, randomBytes(16).toString('hex')]));
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(
    tokenFile,
    [...tokens].map(([g, t]) => `${t},wasmbed:gateway:${g},uid-${g},"wasmbed:gateways"\n`).join(''),
  );
  const data = join(dir, 'api');
  const child = spawnNode('backend/src/cli/api.ts', [
    '--data',
    data,
    '--port',
    '0',
    '--token-auth-file',
    tokenFile,
  ]);
  const stderr = captureStderr(child);
  const m = await waitForLine(
    child,
    /wasmbed-api: serving (https:\/\/\S+) \(kubeconfig (.+)\)\n/,
    'the API server',
    stderr,
  );
  return {
    child,
    url: m[1]!,
    ca: readFileSync(join(data, 'ca.crt'), 'utf8'),
    kubeconfig: m[2]!,
    admin: { token: readFileSync(join(data, 'admin.token'), 'utf8').trim() },
    gateway: name => ({ token: tokens.get(name)! }),
    stderr,
  };
}

export interface ControllersProcess {
  child: ChildProcess;
  stderr: () => string;
}

export async function startControllersProcess(kubeconfig: string): Promise<ControllersProcess> {
  const child = spawnNode('backend/src/cli/controllers.ts', ['--kubeconfig', kubeconfig]);
  const stderr = captureStderr(child);
  await waitForLine(child, /wasmbed-controllers: running\n/, 'the controllers', stderr);
  return { child, stderr };
}

/** SIGTERM (a clean stop) or SIGKILL; resolves with the exit code once the process is gone. */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  return new Promise(resolvePromise => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', code => {
      clearTimeout(timer);
      resolvePromise(code);
    });
    child.kill(signal);
  });
}

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** A JSON client acting as `who`; never throws on an HTTP status (tests look at it). */
export function apiClient(api: { url: string; ca: string }, who: Identity) {
  const agent = new https.Agent({ keepAlive: true, ca: api.ca });
  const call = <T = any>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Reply<T>> =>
    new Promise((resolvePromise, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = https.request(
        `${api.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${who.token}`,
            accept: 'application/json',
            ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}),
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON
            }
            resolvePromise({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return {
    call,
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body: unknown) => call<T>('POST', path, body),
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
    mergePatch: <T = any>(path: string, body: unknown) =>
      call<T>('PATCH', path, body, 'application/merge-patch+json'),
    del: <T = any>(path: string) => call<T>('DELETE', path),
    close: () => agent.destroy(),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it returns a value that is not undefined. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

export { sleep };
