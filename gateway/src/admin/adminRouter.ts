import { RFC1123_SUBDOMAIN } from '@wasmbed/plugin-wasmbed-common';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { EmbeddedControlPlane } from '../controlPlane/embeddedControlPlane';
import { StateLimitError } from '../controlPlane/types';
import type { Gateway } from '../gateway';
import { AccessDenied, checkAdminRequest, loadAdminToken } from './adminAccess';

const name = z
  .string()
  .min(1)
  .max(63)
  .regex(RFC1123_SUBDOMAIN, 'must be an RFC 1123 name of at most 63 bytes');

const registerBody = z
  .object({
    name,
    board: z.string().max(32).optional(),
    token: z.string().min(8).max(128).optional(),
    tokenTtlSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86400)
      .optional(),
    publicKeyPem: z.string().max(4096).optional(),
  })
  .refine(
    b => (b.token === undefined) !== (b.publicKeyPem === undefined),
    'give exactly one of token and publicKeyPem',
  );

const deployBody = z.object({
  app: name,
  module: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  devices: z.array(name).min(1),
  config: z.record(z.string().max(32), z.string().max(128)).optional(),
  limits: z
    .object({
      memoryBytes: z.number().int().min(65536),
      fuelPerActivation: z.number().int().min(1000),
      periodMs: z.number().int().min(10).optional(),
      maxRestarts: z.number().int().min(0).max(1000).optional(),
    })
    .optional(),
  running: z.boolean().default(true),
});

const commandBody = z.object({
  app: name,
  name: z.string().min(1).max(32),
  payload: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
    .refine(p => Buffer.from(p, 'base64').length <= 1024, 'must decode to at most 1024 bytes')
    .optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminServerOptions {
  host?: string;
  /** The bearer token clients must present; default: DATA/admin.token (made if missing). */
  token?: string;
}

/**
 * The gateway's admin API, on loopback only: health, metrics, sessions, devices, deploys.
 * Every request needs the bearer token and a loopback Host (adminAccess.ts says why).
 * Changes are answered once they are on disk. Errors use the Kubernetes Status shape.
 */
export async function startAdminServer(
  gateway: Gateway,
  controlPlane: EmbeddedControlPlane,
  port: number,
  options: AdminServerOptions = {},
) {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? loadAdminToken(gateway.dataDir);
  let listeningPort = port;
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => checkAdminRequest(req, listeningPort, token))
      .then(() => handle(req))
      .then(async answer => {
        await controlPlane.committed();
        return answer;
      })
      .then(({ status = 200, body, type = 'application/json' }) => {
        res.writeHead(status, { 'content-type': type });
        res.end(typeof body === 'string' ? body : JSON.stringify(body, null, 1));
      })
      .catch((err: Error) => {
        const status =
          err instanceof HttpError || err instanceof AccessDenied
            ? err.status
            : err instanceof StateLimitError
              ? 409
              : 500;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: err.message,
            code: status,
          }),
        );
      });
  });

  async function handle(
    req: http.IncomingMessage,
  ): Promise<{ status?: number; body: unknown; type?: string }> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const parts = url.pathname.split('/').filter(Boolean);
    const route = `${req.method} /${parts[0] ?? ''}${parts.length > 1 ? '/:name' : ''}${parts[2] ? `/${parts[2]}` : ''}`;
    switch (route) {
      case 'GET /healthz':
        return {
          body: { ok: true, sessions: gateway.sessions.size, memory: process.memoryUsage() },
        };
      case 'GET /ca':
        return { body: gateway.caCertificatePem, type: 'application/x-pem-file' };
      case 'GET /metrics':
        return {
          body: await gateway.metrics.registry.metrics(),
          type: gateway.metrics.registry.contentType,
        };
      case 'GET /sessions':
        return {
          body: [...gateway.sessions.values()].map(s => ({
            device: s.device,
            remoteAddress: s.remoteAddress,
            since: new Date(s.sinceMs),
            lastHeartbeat:
              s.lastHeartbeatMs === undefined ? undefined : new Date(s.lastHeartbeatMs),
            firmwareVersion: s.hello?.firmwareVersion,
            board: s.hello?.board,
          })),
        };
      case 'GET /devices':
        return {
          body: controlPlane.deviceNames().map(n => ({ name: n, ...controlPlane.observed(n) })),
        };
      case 'GET /devices/:name': {
        const device = parts[1]!;
        const observed = controlPlane.observed(device);
        if (!observed) throw new HttpError(404, `device ${device} not found`);
        return {
          body: {
            name: device,
            ...observed,
            appStatus: controlPlane.appObservations(device),
            telemetry: controlPlane.telemetry(device).slice(-50),
            logs: controlPlane.logs(device).slice(-50),
          },
        };
      }
      case 'POST /devices': {
        const body = parse(registerBody, await readJson(req));
        guard(() =>
          controlPlane.registerDevice({
            name: body.name,
            board: body.board,
            token: body.token,
            tokenTtlMs: body.tokenTtlSeconds && body.tokenTtlSeconds * 1000,
            pinnedPublicKeyPem: body.publicKeyPem,
          }),
        );
        return { status: 201, body: { name: body.name } };
      }
      case 'POST /devices/:name/revoke':
        guard(() => controlPlane.revokeDevice(parts[1]!));
        return { body: { name: parts[1], revoked: true } };
      case 'DELETE /devices/:name':
        controlPlane.deleteDevice(parts[1]!);
        return { body: { name: parts[1], deleted: true } };
      case 'POST /devices/:name/command': {
        const body = parse(commandBody, await readJson(req));
        const session = gateway.sessions.get(parts[1]!);
        if (!session || !session.hello) {
          throw new HttpError(409, `device ${parts[1]} has no session on this gateway`);
        }
        const payload = body.payload
          ? new Uint8Array(Buffer.from(body.payload, 'base64'))
          : undefined;
        const answer = await session.command(body.app, body.name, payload).catch((err: Error) => {
          throw new HttpError(
            504,
            `command ${body.name} to ${parts[1]}/${body.app}: ${err.message}`,
          );
        });
        const result = answer.result && Buffer.from(answer.result);
        return {
          body: {
            device: parts[1],
            app: body.app,
            ok: answer.ok,
            result: result?.toString('base64'),
            resultText: result?.toString('utf8'),
          },
        };
      }
      case 'POST /deploy': {
        const body = parse(deployBody, await readJson(req));
        const module = new Uint8Array(Buffer.from(body.module, 'base64'));
        const sha256 = createHash('sha256').update(module).digest('hex');
        for (const device of body.devices) {
          guard(() =>
            controlPlane.setDesiredApp(device, {
              name: body.app,
              module,
              sha256,
              config: body.config,
              limits: body.limits,
              running: body.running,
            }),
          );
        }
        return {
          status: 202,
          body: { app: body.app, sha256, bytes: module.length, devices: body.devices },
        };
      }
      default:
        throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  listeningPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: listeningPort,
    token,
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(
      422,
      result.error.issues.map(i => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

function guard(action: () => void): void {
  try {
    action();
  } catch (err) {
    if (err instanceof StateLimitError) throw new HttpError(409, err.message);
    throw new HttpError(404, (err as Error).message);
  }
}

async function readJson(req: http.IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}
