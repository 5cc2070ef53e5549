import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeControlPlaneCerts } from './certs';
import { writeKubeconfig } from './kubeconfig';
import { kubeRequest } from './kubeRequest';
import {
  CRD_DIR,
  etcdPath,
  kubeApiServerPath,
  kubectlPath,
  ADMISSION_FILE,
  RBAC_FILE,
  requireBinaries,
} from './paths';
import { startProcess, type ManagedProcess } from './processes';
import { tokensByUser } from './tokens';

const execFileAsync = promisify(execFile);

export interface KubeServerOptions {
  /** Certificates, kubeconfigs, logs and etcd's data go here (etcd's data is removed by stop()). */
  workDir: string;
  /** kube-apiserver `--token-auth-file`; must hold a user `admin` in group system:masters. */
  tokenAuthFile: string;
  /** Apply backend/crds/ and wait until Established (default true). */
  crds?: boolean;
}

export interface KubeServer {
  /** https://127.0.0.1:PORT */
  url: string;
  caPem: string;
  /** kubeconfig of the user `admin`. */
  kubeconfigPath: string;
  /** Writes (once) and returns the path of a kubeconfig for `user` from the token file. */
  kubeconfigFor(user: string): string;
  /** Bearer token of `user` from the token file. */
  tokenFor(user: string): string;
  /** Pids of kube-apiserver and etcd (for RSS measurements). */
  pids(): number[];
  /** SIGTERM kube-apiserver, then etcd; waits for both; removes etcd's data. Idempotent. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(),
      );
    });
  });
}

/** Polls `check` every 100 ms until it returns true; fails early when a process has died. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  processes: ManagedProcess[],
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find(p => !p.isRunning());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.logTail()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}:\n${processes.at(-1)?.logTail() ?? ''}`,
      );
    }
    await new Promise(r => setTimeout(r, 100));
  }
}

/**
 * Anonymous requests are allowed on the health endpoints only (kube 1.32's
 * AnonymousAuthConfigurableEndpoints), so a request without a token anywhere else is 401, as
 * on the embedded server, while health stays open as on any cluster.
 */
const AUTHENTICATION_CONFIG = `apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
    - path: /healthz
    - path: /livez
    - path: /readyz
`;

/**
 * Starts etcd and kube-apiserver on loopback (free ports), waits for /readyz, applies the
 * project's CRDs (waiting until Established) and test/cluster/rbac.yaml.
 */
export async function startKubeApiServer(options: KubeServerOptions): Promise<KubeServer> {
  // A free port found here can be taken by another process (a parallel test's harness)
  // before etcd or kube-apiserver binds it; that, and only that, is worth another try.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt === 3 || !/address already in use/.test(String(error))) throw error;
    }
  }
}

async function startOnce(options: KubeServerOptions): Promise<KubeServer> {
  requireBinaries();
  const workDir = resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const tokens = tokensByUser(readFileSync(options.tokenAuthFile, 'utf8'));
  const adminToken = tokens.get('admin');
  if (adminToken === undefined) throw new Error(`${options.tokenAuthFile}: no user "admin"`);

  const certs = writeControlPlaneCerts(workDir);
  const authConfig = join(workDir, 'authentication-config.yaml');
  writeFileSync(authConfig, AUTHENTICATION_CONFIG);
  const etcdData = join(workDir, 'etcd-data');
  rmSync(etcdData, { recursive: true, force: true });

  const [etcdClientPort, etcdPeerPort, apiPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const processes: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    rmSync(etcdData, { recursive: true, force: true });
  };

  try {
    const etcd = startProcess(
      'etcd',
      etcdPath,
      [
        '--name=wasmbed-test',
        `--data-dir=${etcdData}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=wasmbed-test=${peerUrl}`,
        '--initial-cluster-state=new',
      ],
      join(workDir, 'etcd.log'),
    );
    processes.push(etcd);
    await waitFor(
      'etcd /health',
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        return res.ok;
      },
      processes,
      20_000,
    );

    const apiserver = startProcess(
      'kube-apiserver',
      kubeApiServerPath,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        // No other interface may exist on a test host; no Endpoints controller is wanted.
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        `--tls-cert-file=${certs.servingCertFile}`,
        `--tls-private-key-file=${certs.servingKeyFile}`,
        `--client-ca-file=${certs.caFile}`,
        `--token-auth-file=${resolve(options.tokenAuthFile)}`,
        `--authentication-config=${authConfig}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
        `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--profiling=false',
      ],
      join(workDir, 'kube-apiserver.log'),
    );
    processes.push(apiserver);
    const url = `https://127.0.0.1:${apiPort}`;
    const get = (path: string) =>
      kubeRequest(url + path, certs.caPem, { token: adminToken, timeoutMs: 2_000 });
    await waitFor(
      'kube-apiserver /readyz',
      async () => (await get('/readyz')).status === 200,
      processes,
      60_000,
    );
    // The system namespaces are created by a controller that may lag /readyz by a moment.
    await waitFor(
      'namespaces default and kube-system',
      async () =>
        (await get('/api/v1/namespaces/default')).status === 200 &&
        (await get('/api/v1/namespaces/kube-system')).status === 200,
      processes,
      20_000,
    );

    const kubeconfigs = new Map<string, string>();
    const tokenFor = (user: string): string => {
      const token = tokens.get(user);
      if (token === undefined) throw new Error(`${options.tokenAuthFile}: no user "${user}"`);
      return token;
    };
    const kubeconfigFor = (user: string): string => {
      let file = kubeconfigs.get(user);
      if (file === undefined) {
        file = join(
          workDir,
          user === 'admin' ? 'kubeconfig' : `kubeconfig-${user.replace(/[^A-Za-z0-9-]/g, '_')}`,
        );
        writeKubeconfig(file, url, certs.caPem, user, tokenFor(user));
        kubeconfigs.set(user, file);
      }
      return file;
    };
    const kubeconfigPath = kubeconfigFor('admin');
    const kubectl = (...args: string[]) =>
      execFileAsync(kubectlPath, ['--kubeconfig', kubeconfigPath, ...args], { timeout: 60_000 });

    await kubectl('apply', '-f', RBAC_FILE);
    if (options.crds !== false) {
      await kubectl('apply', '-f', CRD_DIR);
      await kubectl('wait', '--for=condition=Established', '--timeout=30s', '-f', CRD_DIR);
      await kubectl('apply', '-f', ADMISSION_FILE);
    }

    let stopped: Promise<void> | undefined;
    return {
      url,
      caPem: certs.caPem,
      kubeconfigPath,
      kubeconfigFor,
      tokenFor,
      pids: () => processes.filter(p => p.isRunning()).map(p => p.pid),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
