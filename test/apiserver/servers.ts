/**
 * The two servers under test, behind one interface: the real kube-apiserver + etcd with the
 * CRDs and RBAC applied (test/cluster), and the embedded API server (backend/src/cli/api.ts).
 * Both read the same static token file, so every user is the same person on both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeApiServer } from '../cluster/kubeApiServer';
import { REPO_ROOT } from '../cluster/paths';
import {
  request,
  watchStream,
  type HttpAnswer,
  type HttpTarget,
  type RequestOptions,
  type WatchStream,
} from './http';
import { runKubectl, startKubectl, type KubectlResult, type RunningKubectl } from './kubectl';

export type ServerKind = 'kube' | 'embedded';

/** The suite's users (see the token table in test/cluster/tokens.ts). */
export type User = 'admin' | 'editor' | 'viewer' | 'gateway' | 'nobody' | 'stranger';
export const USER_NAMES: Record<Exclude<User, 'stranger'>, string> = {
  admin: 'admin',
  editor: 'editor',
  viewer: 'viewer',
  gateway: 'wasmbed:gateway:gw-a',
  nobody: 'nobody',
};
/** A token neither server knows: the 401 case. */
const STRANGER_TOKEN = 'not-a-known-token-0123456789abcdef';

export interface ServerUnderTest {
  kind: ServerKind;
  target: HttpTarget;
  req(user: User, method: string, path: string, options?: RequestOptions): Promise<HttpAnswer>;
  kubectl(user: User, args: string[], stdin?: string): Promise<KubectlResult>;
  /** kubectl that keeps running (get -w) until stopped. */
  kubectlRunning(user: User, args: string[]): RunningKubectl;
  watch(user: User, path: string): WatchStream;
  /** A client-node configuration for the user, as an application would load it. */
  client(user: User): KubeConfig;
  /** Process ids (for the harness's own bookkeeping and cleanup). */
  pids(): number[];
  stop(): Promise<void>;
}

interface Endpoint {
  kind: ServerKind;
  target: HttpTarget;
  pids(): number[];
  stop(): Promise<void>;
}

function kubeconfigYaml(target: HttpTarget, token: string): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'under-test',
        cluster: {
          server: target.url,
          'certificate-authority-data': Buffer.from(target.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: 'user', user: { token } }],
    contexts: [{ name: 'under-test', context: { cluster: 'under-test', user: 'user' } }],
    'current-context': 'under-test',
  });
}

/** Wraps an endpoint with per-user kubeconfigs written into workDir (the same way for both). */
function underTest(
  endpoint: Endpoint,
  workDir: string,
  tokens: Record<string, string>,
): ServerUnderTest {
  const tokenOf = (user: User): string => {
    if (user === 'stranger') return STRANGER_TOKEN;
    const t = tokens[USER_NAMES[user]];
    if (!t) throw new Error(`no token for ${USER_NAMES[user]} in the token file`);
    return t;
  };
  const configs = new Map<User, string>();
  const kubeconfigOf = (user: User): string => {
    let file = configs.get(user);
    if (!file) {
      file = path.join(workDir, `kubeconfig-${user}`);
      fs.writeFileSync(file, kubeconfigYaml(endpoint.target, tokenOf(user)), { mode: 0o600 });
      configs.set(user, file);
    }
    return file;
  };
  const cacheDir = path.join(workDir, 'kubectl-cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  return {
    kind: endpoint.kind,
    target: endpoint.target,
    req: (user, method, p, options) => request(endpoint.target, tokenOf(user), method, p, options),
    kubectl: (user, args, stdin) => runKubectl(kubeconfigOf(user), cacheDir, args, stdin),
    kubectlRunning: (user, args) => startKubectl(kubeconfigOf(user), cacheDir, args),
    watch: (user, p) => watchStream(endpoint.target, tokenOf(user), p),
    client: user => {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigOf(user));
      return kc;
    },
    pids: endpoint.pids,
    stop: endpoint.stop,
  };
}

export async function startKube(
  workDir: string,
  tokenFile: string,
  tokens: Record<string, string>,
) {
  fs.mkdirSync(workDir, { recursive: true });
  const kube = await startKubeApiServer({ workDir, tokenAuthFile: tokenFile, crds: true });
  const endpoint: Endpoint = {
    kind: 'kube',
    target: { url: kube.url, caPem: kube.caPem },
    pids: () => kube.pids(),
    stop: () => kube.stop(),
  };
  return underTest(endpoint, workDir, tokens);
}

const READY_LINE = /^wasmbed-api: serving (https:\/\/127\.0\.0\.1:\d+) \(kubeconfig (.+)\)$/m;
const EMBEDDED_START_TIMEOUT_MS = 60_000;

/** Starts `backend/src/cli/api.ts` in a process group of its own and waits for its ready line. */
export async function startEmbedded(
  workDir: string,
  tokenFile: string,
  tokens: Record<string, string>,
) {
  const dataDir = path.join(workDir, 'data');
  fs.mkdirSync(workDir, { recursive: true });
  const log = fs.openSync(path.join(workDir, 'api.log'), 'a');
  const child: ChildProcess = spawn(
    path.join(REPO_ROOT, 'node_modules/.bin/tsx'),
    [
      'backend/src/cli/api.ts',
      '--data',
      dataDir,
      '--port',
      '0',
      '--address',
      '127.0.0.1',
      '--token-auth-file',
      tokenFile,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', log], detached: true },
  );
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `embedded server not ready in ${EMBEDDED_START_TIMEOUT_MS} ms (log: ${workDir}/api.log)`,
          ),
        ),
      EMBEDDED_START_TIMEOUT_MS,
    );
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = READY_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(
        new Error(
          `embedded server exited (${code}) before its ready line; end of its log:\n${logTail(workDir)}`,
        ),
      );
    });
  }).catch(async err => {
    killGroup(child, 'SIGKILL');
    throw err;
  });
  child.stdout!.resume(); // keep draining: a full pipe would block the server
  let stopRequested = false;
  child.once('exit', (code, signal) => {
    if (stopRequested) return;
    // Every later case fails on a refused connection; say once why, with the log's end.
    process.stdout.write(
      `api-conformance: the embedded server exited during the run (code ${code}, signal ${signal}); end of its log:\n${logTail(workDir)}\n`,
    );
  });
  const caPem = fs.readFileSync(path.join(dataDir, 'ca.crt'), 'utf8');
  const endpoint: Endpoint = {
    kind: 'embedded',
    target: { url, caPem },
    pids: () => (child.pid ? [child.pid] : []),
    stop: async () => {
      stopRequested = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return underTest(endpoint, workDir, tokens);
}

function logTail(workDir: string): string {
  try {
    return fs
      .readFileSync(path.join(workDir, 'api.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal); // tsx runs the server in a child node: the group has both
  } catch {
    /* already gone */
  }
}
