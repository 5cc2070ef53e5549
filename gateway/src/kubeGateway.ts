import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeControlPlane } from './controlPlane/kube/kubeControlPlane';
import type { StatusWriterOptions } from './controlPlane/kube/statusWriter';
import { Gateway, type GatewayOptions } from './gateway';
import { type HealthServer, startHealthServer } from './health/healthServer';
import { GatewayMetrics } from './metrics';

export interface KubeGatewayOptions extends Omit<
  GatewayOptions,
  'controlPlane' | 'metrics' | 'logger' | 'name'
> {
  kubeConfig: KubeConfig;
  name: string;
  namespace: string;
  logger: Logger;
  /** Health and metrics on loopback; 0 picks a free port, undefined: none. */
  adminPort?: number;
  /** HOST:PORT devices dial (Gateway spec.endpoint); default HOST:PORT of the listener. */
  advertise?: string;
  capacity?: number;
  writer?: StatusWriterOptions;
  heartbeatRefreshMs?: number;
  events?: { perSecond: number; burst: number };
}

export interface KubeGateway {
  gateway: Gateway;
  controlPlane: KubeControlPlane;
  health: HealthServer | undefined;
  metrics: GatewayMetrics;
  stop(): Promise<void>;
}

/**
 * A gateway on the Kubernetes API. Ready (listening, /healthz 200) only once it holds the fleet
 * CA, has registered its Gateway, taken its Lease and synced its watches.
 */
export async function startKubeGateway(options: KubeGatewayOptions): Promise<KubeGateway> {
  const metrics = new GatewayMetrics();
  const log = options.logger;
  const health =
    options.adminPort === undefined
      ? undefined
      : await startHealthServer(options.adminPort, metrics.registry);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8443;
  const enrollPort = options.enrollPort ?? port + 1;
  // Ports are needed for the Gateway spec before listening: a free port (0) is found first.
  const [devicePort, enrollmentPort] = await Promise.all([
    port === 0 ? freePort(host) : port,
    enrollPort === 0 ? freePort(host) : enrollPort,
  ]);
  const advertise = options.advertise ?? `${host}:${devicePort}`;
  const advertiseHost = advertise.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  let controlPlane: KubeControlPlane | undefined;
  try {
    controlPlane = await KubeControlPlane.start({
      kubeConfig: options.kubeConfig,
      namespace: options.namespace,
      name: options.name,
      dataDir: options.dataDir,
      endpoint: advertise,
      enrollEndpoint: `${advertiseHost.includes(':') ? `[${advertiseHost}]` : advertiseHost}:${enrollmentPort}`,
      adminPort: health?.port ?? devicePort + 2,
      capacity: options.capacity ?? 10_000,
      heartbeatTimeoutSeconds: Math.round((options.heartbeatTimeoutMs ?? 90_000) / 1000),
      metrics,
      log,
      writer: options.writer,
      heartbeatRefreshMs: options.heartbeatRefreshMs,
      events: options.events,
    });
    const serverNames = options.serverNames ?? [
      ...new Set(['localhost', '127.0.0.1', advertiseHost]),
    ];
    const gateway = await Gateway.start({
      ...options,
      port: devicePort,
      enrollPort: enrollmentPort,
      serverNames,
      controlPlane,
      metrics,
      logger: log,
    });
    const cp = controlPlane;
    cp.attach(
      device => gateway.sessions.has(device),
      () => gateway.sessions.size,
    );
    health?.ready(() => ({
      name: options.name,
      sessions: gateway.sessions.size,
      pendingWrites: cp.pendingWrites,
    }));
    return {
      gateway,
      controlPlane: cp,
      health,
      metrics,
      async stop() {
        await gateway.stop();
        await cp.stop();
        await health?.close();
      },
    };
  } catch (err) {
    await controlPlane?.stop().catch(() => {});
    await health?.close();
    throw err;
  }
}

async function freePort(host: string): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
