import { accessSync, chmodSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ADMIN_USER, loadOrCreateAdminToken } from './auth/adminToken';
import { TokenAuthenticator } from './auth/tokens';
import { createApiHandler } from './http/apiHandler';
import { MAX_BODY_BYTES } from './http/body';
import { adminKubeconfig } from './http/kubeconfig';
import { loadOrCreateServingMaterial } from './http/tls/servingFiles';
import { DEFAULT_WATCH_LIMITS, WatchGate, type WatchLimits } from './http/watch';
import { OpenApiDocuments } from './openapi/documents';
import { createRegistry } from './registry';
import type { Registry } from './registry/types';

export interface ApiServerOptions {
  dataDir: string;
  /** Listening address; 127.0.0.1 by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** kube-apiserver `--token-auth-file` format: `token,user,uid,"group1,group2"`. */
  tokenAuthFile?: string;
  now?: () => Date;
  watchLimits?: WatchLimits;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  kubeconfigPath: string;
  caPem: string;
  /** Stops accepting, ends watches, lets requests in flight finish, then closes the store. */
  close(): Promise<void>;
}

/** How long shutdown waits for requests in flight before cutting their connections. */
const DRAIN_MS = 10_000;

function stderrLog(message: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`,
  );
}

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new Error(`data directory ${dataDir} is not usable: ${(error as Error).message}`);
  }
}

function listen(server: https.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use`
            : `cannot listen on ${host}:${port}: ${error.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The URL clients use: loopback when listening on every address; IPv6 in brackets. */
function clientUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `https://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * Starts the Wasmbed API server on `dataDir`: its TLS material, admin token and store live
 * there and survive restarts; the admin kubeconfig is rewritten with the port of this run.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { dataDir } = options;
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const log = options.log ?? stderrLog;
  prepareDataDir(dataDir);
  const tls = loadOrCreateServingMaterial(dataDir, now());
  const adminToken = loadOrCreateAdminToken(dataDir);
  const admin = new Map([[adminToken, ADMIN_USER]]);
  const authenticator = options.tokenAuthFile
    ? TokenAuthenticator.fromFile(options.tokenAuthFile, admin)
    : new TokenAuthenticator(admin);

  const registry: Registry = await createRegistry({ dataDir, now });
  const watches = new WatchGate(options.watchLimits ?? DEFAULT_WATCH_LIMITS);
  let ready = true;
  let port = options.port ?? 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const handler = createApiHandler({
    registry,
    authenticator,
    watches,
    openapi: new OpenApiDocuments(registry.resources()),
    now,
    maxBodyBytes: MAX_BODY_BYTES,
    serverAddress: () => `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    ready: () => ready,
    log,
  });
  const server = https.createServer(
    {
      key: tls.serving.keyPem,
      cert: tls.serving.certPem,
      minVersion: 'TLSv1.2',
      // Bounds on what one client may hold: header size (Node's 16 KiB default, explicit),
      // time to send the headers, idle keep-alive connections.
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      inFlight++;
      res.once('close', () => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
      handler(req, res);
    },
  );
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000; // receiving one request (not serving a watch) may take a minute at most
  server.keepAliveTimeout = 30_000;
  server.maxConnections = 4096;
  server.on('tlsClientError', () => {}); // a failed handshake concerns that client only
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A request Node could not parse, or that broke a bound, never reaches the handler.
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  try {
    port = await listen(server, host, port);
  } catch (error) {
    await registry.close();
    throw error;
  }
  const url = clientUrl(host, port);
  const kubeconfigPath = path.join(dataDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, adminKubeconfig(url, tls.ca.certPem, adminToken), { mode: 0o600 });
  chmodSync(kubeconfigPath, 0o600);

  log('serving', {
    url,
    dataDir,
    resources: registry.resources().length,
    maxWatches: watches.limits.maxWatches,
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ready = false;
      log('stopping', { inFlight, watches: watches.count });
      const stopped = new Promise<void>(resolve => server.close(() => resolve()));
      watches.closeAll();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>(resolve => (drained = resolve)),
          new Promise<void>(resolve => setTimeout(resolve, DRAIN_MS).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      await registry.close();
      log('stopped', {});
    })());

  return { url, port, kubeconfigPath, caPem: tls.ca.certPem, close };
}
