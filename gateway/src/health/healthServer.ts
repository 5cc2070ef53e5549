import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  /** From now on /healthz answers 200 with `details()`. */
  ready(details: () => Record<string, unknown>): void;
  close(): Promise<void>;
}

/**
 * The gateway's loopback HTTP side: `GET /healthz` (503 until the gateway is ready, then 200
 * with its sessions and the process's memory usage) and `GET /metrics` (Prometheus). Nothing
 * here changes anything, so it needs no credentials; it listens on 127.0.0.1 only.
 */
export async function startHealthServer(port: number, registry: Registry): Promise<HealthServer> {
  let details: (() => Record<string, unknown>) | undefined;
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'only GET\n');
    if (url === '/healthz') {
      if (!details) return send(503, 'application/json', '{"status":"starting"}\n');
      const body = { status: 'ok', ...details(), memory: process.memoryUsage() };
      return send(200, 'application/json', `${JSON.stringify(body)}\n`);
    }
    if (url === '/metrics') {
      registry.metrics().then(
        text => send(200, registry.contentType, text),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found: GET /healthz or /metrics\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    ready: d => {
      details = d;
    },
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
