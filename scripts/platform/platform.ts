import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CA_SECRET, SYSTEM_NAMESPACE } from '@wasmbed/plugin-wasmbed-common';
import {
  gatewayUser,
  GATEWAYS_GROUP,
  identityKubeconfig,
  TokenFile,
  VIEWER_USER,
  VIEWERS_GROUP,
} from './identities';
import { KubeClient } from './kubeClient';
import { freePortRun } from './ports';
import { REPO, startTsProcess, until, waitForLog, type ManagedProcess } from './processes';
import { startProcess } from '../../test/cluster/processes';

export interface PlatformOptions {
  /** Everything the platform keeps: api/ (store, CA, admin kubeconfig), identities/, gateways/, logs/. */
  dir: string;
  /** Gateway names, each started as its own process (default gw-1, gw-2). */
  gateways?: string[];
  namespace?: string;
  /** API server port; 0 (default) picks a free one. */
  apiPort?: number;
  /** Start the controllers (default true). */
  controllers?: boolean;
  /** Extra arguments for every gateway (e.g. --heartbeat-timeout). */
  gatewayArgs?: string[];
  log?: (line: string) => void;
}

export interface GatewayHandle {
  name: string;
  /** Device port; enrollment is port + 1, health/metrics port + 2. */
  port: number;
  kubeconfig: string;
  process: ManagedProcess;
  /** `kill -9`: no goodbye to devices, no Lease release. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface Platform {
  dir: string;
  namespace: string;
  apiUrl: string;
  caPem: string;
  /** The admin kubeconfig the API server wrote (api/kubeconfig). */
  adminKubeconfig: string;
  viewerKubeconfig: string;
  admin: KubeClient;
  viewer: KubeClient;
  api: ManagedProcess;
  controllers: ManagedProcess | undefined;
  gateways: Map<string, GatewayHandle>;
  /** A client with gateway G's identity (what G itself may do). */
  gatewayClient(name: string): KubeClient;
  /** The fleet CA every gateway signs with (from the CA Secret), for provisioning devices. */
  fleetCaPem(): Promise<string>;
  /** (Re)starts gateway `name` on fresh ports. */
  startGateway(name: string): Promise<GatewayHandle>;
  stop(): Promise<void>;
}

const API_READY = /wasmbed-api: serving (https:\/\/\S+) \(kubeconfig (.+)\)\n/;
const CONTROLLERS_READY = /wasmbed-controllers: running/;

/**
 * A log file for a new process: the previous run's is kept as FILE.1. Readiness is read from
 * the log, so it must not hold an earlier run's "serving" line.
 */
function freshLog(file: string): string {
  if (existsSync(file)) renameSync(file, `${file}.1`);
  return file;
}

/** GET http://127.0.0.1:PORT/healthz → 200? */
function healthy(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * Starts the embedded platform as separate processes: the API server (with a static token
 * file naming each gateway and a viewer), the controllers, and one process per gateway, each
 * on its own three ports and waited for until /healthz answers 200. If any start fails,
 * whatever was started is stopped before the error is thrown.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const dir = path.resolve(options.dir);
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const gatewayNames = options.gateways ?? ['gw-1', 'gw-2'];
  const tokens = new TokenFile(path.join(dir, 'identities'));
  const viewerIdentity = tokens.ensure(VIEWER_USER, [VIEWERS_GROUP]);
  const gatewayIdentities = new Map(
    gatewayNames.map(g => [g, tokens.ensure(gatewayUser(g), [GATEWAYS_GROUP])]),
  );

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    started.length = 0;
  };
  try {
    const api = startTsProcess(
      'api',
      'backend/src/cli/api.ts',
      [
        '--data',
        path.join(dir, 'api'),
        '--port',
        String(options.apiPort ?? 0),
        '--token-auth-file',
        tokens.file,
      ],
      freshLog(path.join(logs, 'api.log')),
    );
    started.push({ stop: () => api.stop() });
    const ready = await waitForLog(api, API_READY, 60_000);
    const apiUrl = ready[1]!;
    const adminKubeconfig = ready[2]!;
    const caPem = readFileSync(path.join(dir, 'api/ca.crt'), 'utf8');
    const adminToken = readFileSync(path.join(dir, 'api/admin.token'), 'utf8').trim();
    const admin = new KubeClient(apiUrl, caPem, adminToken);
    const kubeconfigs = path.join(dir, 'identities');
    const viewerKubeconfig = identityKubeconfig(
      kubeconfigs,
      'viewer',
      apiUrl,
      caPem,
      viewerIdentity,
    );
    log(`api server ${apiUrl} (pid ${api.pid})`);

    let controllers: ManagedProcess | undefined;
    if (options.controllers !== false) {
      const c = startTsProcess(
        'controllers',
        'backend/src/cli/controllers.ts',
        ['--kubeconfig', adminKubeconfig, '--namespace', namespace],
        freshLog(path.join(logs, 'controllers.log')),
      );
      controllers = c;
      started.push({ stop: () => c.stop() });
      await waitForLog(c, CONTROLLERS_READY, 60_000);
      log(`controllers running (pid ${c.pid})`);
    }

    const gateways = new Map<string, GatewayHandle>();
    const startGateway = async (name: string): Promise<GatewayHandle> => {
      const identity = gatewayIdentities.get(name);
      if (!identity) throw new Error(`gateway ${name} has no identity in the token file`);
      const old = gateways.get(name);
      if (old?.process.isRunning()) await old.stop();
      const kubeconfig = identityKubeconfig(kubeconfigs, name, apiUrl, caPem, identity);
      const port = await freePortRun(3);
      const proc = startProcess(
        `gateway ${name}`,
        'bash',
        [
          path.join(REPO, 'gateway/scripts/gateway.sh'),
          '--kubeconfig',
          kubeconfig,
          '--name',
          name,
          '--port',
          String(port),
          '--data',
          path.join(dir, 'gateways', name),
          '--namespace',
          namespace,
          ...(options.gatewayArgs ?? []),
        ],
        freshLog(path.join(logs, `${name}.log`)),
        REPO,
      );
      const handle: GatewayHandle = {
        name,
        port,
        kubeconfig,
        process: proc,
        async kill9() {
          if (!proc.isRunning()) return;
          process.kill(proc.pid, 'SIGKILL');
          await proc.exited;
        },
        stop: () => proc.stop(5_000),
      };
      gateways.set(name, handle);
      started.push({ stop: () => handle.stop() });
      await until(
        `gateway ${name} /healthz`,
        async () => {
          if (!proc.isRunning()) throw new Error(`gateway ${name} exited:\n${proc.logTail(40)}`);
          return healthy(port + 2);
        },
        60_000,
        200,
      ).catch(err => {
        throw new Error(`${(err as Error).message}\n${proc.logTail(30)}`);
      });
      log(
        `gateway ${name}: devices 127.0.0.1:${port}, enrollment :${port + 1}, health :${port + 2} (pid ${proc.pid})`,
      );
      return handle;
    };
    // One at a time: the first makes the fleet CA (and stores it), the others read it.
    for (const name of gatewayNames) await startGateway(name);

    const viewer = new KubeClient(apiUrl, caPem, viewerIdentity.token);
    return {
      dir,
      namespace,
      apiUrl,
      caPem,
      adminKubeconfig,
      viewerKubeconfig,
      admin,
      viewer,
      api,
      controllers,
      gateways,
      startGateway,
      gatewayClient(name) {
        const identity = gatewayIdentities.get(name);
        if (!identity) throw new Error(`no gateway ${name}`);
        return new KubeClient(apiUrl, caPem, identity.token);
      },
      async fleetCaPem() {
        const secret = await admin.get<{ data: Record<string, string> }>(
          `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets/${CA_SECRET}`,
        );
        return Buffer.from(secret.data['tls.crt']!, 'base64').toString('utf8');
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
