import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  appInstanceName,
  LABEL_APPLICATION,
  LABEL_DEVICE,
  LABEL_MODULE_SHA256,
  MODULE_KEY,
  moduleConfigMapName,
  SYSTEM_NAMESPACE,
} from '@wasmbed/plugin-wasmbed-common';
import { writeKubeconfig } from '../../../../test/cluster/kubeconfig';
import { KubeApi, paths } from './kubeApi';
import { createHash } from 'node:crypto';

/** A gateway process (`gateway/src/cli.ts`, what `npm run gateway` runs) and its ports. */
export interface GatewayProcess {
  name: string;
  child: ChildProcess;
  port: number;
  enrollPort: number;
  healthPort: number;
  caPem: string;
  dataDir: string;
  log: Record<string, unknown>[];
  /** A Prometheus sample of its /metrics (0 if absent). */
  metric(name: string, labels?: string): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../../../..');
export const NS = 'default';

/**
 * TEST SUPPORT: the real embedded API server as its own process, with a token file naming
 * gateway identities (user wasmbed:gateway:G, group wasmbed:gateways) so the gateways under
 * test hold only their own rights; an admin client standing in for the controllers.
 */
export class TestPlatform {
  readonly gateways: GatewayProcess[] = [];

  private constructor(
    readonly dir: string,
    readonly child: ChildProcess,
    readonly url: string,
    readonly caPem: string,
    readonly admin: KubeApi,
    private readonly tokens: Map<string, string>,
  ) {}

  static async start(gatewayNames: string[]): Promise<TestPlatform> {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasmbed-gwkube-'));
    const tokens = new Map(gatewayNames.map(g => [g, randomBytes(16).toString('hex')]));
    const tokenFile = path.join(dir, 'tokens.csv');
    writeFileSync(
      tokenFile,
      [...tokens]
        .map(([g, t]) => `${t},wasmbed:gateway:${g},uid-${g},"wasmbed:gateways"`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    const apiDir = path.join(dir, 'api');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'backend/src/cli/api.ts'),
        '--data',
        apiDir,
        '--port',
        '0',
        '--token-auth-file',
        tokenFile,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-10_000)));
    const url = await new Promise<string>((resolve, reject) => {
      const failed = (err: Error) => {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        reject(err);
      };
      let out = '';
      const timer = setTimeout(() => failed(new Error(`API server not ready:\n${err}`)), 60_000);
      child.once('exit', code => failed(new Error(`API server exited ${code}:\n${err}`)));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /wasmbed-api: serving (https:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(m[1]!);
        }
      });
    });
    const caPem = readFileSync(path.join(apiDir, 'ca.crt'), 'utf8');
    const adminToken = readFileSync(path.join(apiDir, 'admin.token'), 'utf8').trim();
    const admin = KubeApi.connect(url, caPem, adminToken);
    const platform = new TestPlatform(dir, child, url, caPem, admin, tokens);
    // What the controllers do at their start.
    await admin.request('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SYSTEM_NAMESPACE },
    });
    return platform;
  }

  /** A kubeconfig file with gateway G's identity. */
  kubeconfigOf(gateway: string): string {
    const token = this.tokens.get(gateway);
    if (!token) throw new Error(`no identity for gateway ${gateway}`);
    const file = path.join(this.dir, `${gateway}.kubeconfig`);
    writeKubeconfig(file, this.url, this.caPem, `wasmbed:gateway:${gateway}`, token);
    return file;
  }

  /** Starts `npm run gateway`'s program as its own process; resolves once it is ready. */
  async gateway(name: string, extra: string[] = []): Promise<GatewayProcess> {
    const dataDir = path.join(this.dir, 'gw', name);
    mkdirSync(dataDir, { recursive: true });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'gateway/src/cli.ts'),
        '--kubeconfig',
        this.kubeconfigOf(name),
        '--name',
        name,
        '--namespace',
        NS,
        '--port',
        '0',
        '--data',
        dataDir,
        '--max-connections-per-address',
        '20000',
        ...extra,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: Record<string, unknown>[] = [];
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-10_000)));
    const ports = await new Promise<{ port: number; enrollPort: number; health: number }>(
      (resolve, reject) => {
        let buffer = '';
        let listening: { port: number; enrollPort: number } | undefined;
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `gateway ${name} not ready in 60 s:\n${err}\n${JSON.stringify(log.slice(-5))}`,
            ),
          );
        }, 60_000);
        child.once('exit', code => {
          clearTimeout(timer);
          reject(
            new Error(`gateway ${name} exited ${code}:\n${err}\n${JSON.stringify(log.slice(-5))}`),
          );
        });
        child.stdout!.on('data', (d: Buffer) => {
          buffer += d.toString();
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            let entry: Record<string, unknown>;
            try {
              entry = JSON.parse(line);
            } catch {
              continue;
            }
            if (log.length < 50_000) log.push(entry);
            if (entry.msg === 'gateway listening')
              listening = { port: entry.port as number, enrollPort: entry.enrollPort as number };
            if (entry.msg === 'health and metrics ready' && listening) {
              clearTimeout(timer);
              child.removeAllListeners('exit');
              const health = Number(/:(\d+)\//.exec(String(entry.health))![1]);
              resolve({ ...listening, health });
            }
          }
        });
      },
    );
    const g: GatewayProcess = {
      name,
      child,
      port: ports.port,
      enrollPort: ports.enrollPort,
      healthPort: ports.health,
      caPem: readFileSync(path.join(dataDir, 'ca', 'ca.crt.pem'), 'utf8'),
      dataDir,
      log,
      async metric(metric, labels = '') {
        const text = await (await fetch(`http://127.0.0.1:${ports.health}/metrics`)).text();
        const line = text.split('\n').find(l => l.startsWith(`${metric}${labels} `));
        return line ? Number(line.split(' ').pop()) : 0;
      },
      stop: (signal = 'SIGTERM') =>
        new Promise<void>(resolve => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill(signal);
        }),
    };
    this.gateways.push(g);
    return g;
  }

  /** A Device with a one-time token in a Secret, as `kubectl apply` would make them. */
  async device(name: string, token = randomBytes(12).toString('hex')): Promise<string> {
    await this.admin.request('POST', paths.core(NS, 'secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-token` },
      data: { token: Buffer.from(token).toString('base64') },
    });
    await this.admin.request('POST', paths.wasmbed(NS, 'devices'), {
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Device',
      metadata: { name },
      spec: {
        board: 'mps2-an385',
        enrollment: { bootstrapTokenSecretRef: { name: `${name}-token`, key: 'token' } },
      },
    });
    return token;
  }

  /** The module ConfigMap and the AppInstance of APP on DEVICE, as the Application controller makes them. */
  async appInstance(
    app: string,
    device: string,
    module: Uint8Array,
    config?: Record<string, string>,
    claimedSha256?: string,
  ): Promise<string> {
    const sha256 = claimedSha256 ?? createHash('sha256').update(module).digest('hex');
    const cm = moduleConfigMapName(sha256);
    await this.admin
      .request('POST', paths.core(NS, 'configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: cm, labels: { [LABEL_MODULE_SHA256]: sha256.slice(0, 40) } },
        binaryData: { [MODULE_KEY]: Buffer.from(module).toString('base64') },
        immutable: true,
      })
      .catch(err => {
        if (!String(err).includes('409')) throw err;
      });
    const name = appInstanceName(app, device);
    await this.admin.request('POST', paths.wasmbed(NS, 'appinstances'), {
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'AppInstance',
      metadata: { name, labels: { [LABEL_APPLICATION]: app, [LABEL_DEVICE]: device } },
      spec: {
        application: app,
        device,
        revision: 1,
        module: { sha256, bytes: module.length, configMap: cm },
        ...(config ? { config } : {}),
      },
    });
    return name;
  }

  get<T>(kindPath: string): Promise<T> {
    return this.admin.get<T>(kindPath);
  }

  async stop(): Promise<void> {
    for (const g of this.gateways.splice(0)) await g.stop('SIGKILL');
    this.admin.close();
    await new Promise<void>(resolve => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls an async check until it gives a value, or fails after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise(r => setTimeout(r, 50));
  }
}
