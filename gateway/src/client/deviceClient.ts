import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import tls from 'node:tls';
import { crc32 } from 'node:zlib';
import { x509 } from '../pki/x509';
import { HOST_API_V1 } from '../wasm/hostApi';
import { PROTOCOL_VERSION } from '../protocol/limits';
import type { APP_STATES, Message, MessageOf } from '../protocol/messages';
import { FramedConnection, RequestError } from '../transport/framedConnection';
import { DEVICE_TLS_GROUPS, tlsProfile } from '../transport/tlsProfile';
import type { DeviceIdentity } from './deviceIdentity';

export interface GatewayAddress {
  host: string;
  port: number;
  enrollPort: number;
  caPem: string;
  /** Name the gateway's server certificate must carry. */
  servername?: string;
  /** Loopback source address to connect from (load tests spread ports over several). */
  localAddress?: string;
}

export interface DeviceProfile {
  board: string;
  firmwareVersion: string;
  hostApiVersion: number;
  memoryBytes: number;
  maxModuleBytes: number;
  maxApps: number;
  hostFunctions: string[];
}

export const DEFAULT_PROFILE: DeviceProfile = {
  board: 'mps2-an385',
  firmwareVersion: 'ts-client-0.1.0',
  hostApiVersion: 1,
  memoryBytes: 262144,
  maxModuleBytes: 65536,
  maxApps: 4,
  hostFunctions: [...HOST_API_V1],
};

type AppState = (typeof APP_STATES)[number];

/** An app slot: the module bytes received so far, kept across sessions so deploys resume. */
export interface Slot {
  sha256: string;
  size: number;
  bytes: Uint8Array;
  received: number;
  state: AppState;
  config?: Record<string, string>;
}

export interface DeviceClientEvents {
  deployed: [string, Slot];
  chunk: [string, number];
  closed: [string];
  message: [Message];
}

export class EnrollmentRefused extends Error {
  override readonly name = 'EnrollmentRefused';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * A device's side of the protocol in TypeScript: enrollment, certified sessions, heartbeats,
 * chunked deploys into slots, app control, telemetry. It stores modules but does not execute
 * them (the firmware does); tests and the load generator use it to drive a real gateway.
 */
export class DeviceClient extends EventEmitter<DeviceClientEvents> {
  readonly slots = new Map<string, Slot>();
  connection: FramedConnection | undefined;
  heartbeatRtts: number[] = [];
  /**
   * Answers `command` messages, standing in for an app's `command` export (this client runs
   * no apps). Without one, every command is answered ok: false.
   */
  commandHandler: ((m: MessageOf<'command'>) => { ok: boolean; result?: Uint8Array }) | undefined;
  heartbeatIntervalS = 0;
  /** Test hook: alters a chunk's bytes before the CRC check, as a corrupting link would. */
  corruptChunk: ((app: string, offset: number, data: Uint8Array) => Uint8Array) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private startedAt = Date.now();

  constructor(
    readonly identity: DeviceIdentity,
    readonly gateway: GatewayAddress,
    readonly profile: DeviceProfile = DEFAULT_PROFILE,
  ) {
    super();
  }

  /** Gets a certificate over an enrollment session; a token, or nothing for a pinned key. */
  async enroll(token?: string, timeoutMs = 15_000): Promise<x509.X509Certificate> {
    const socket = await connectTls({
      host: this.gateway.host,
      port: this.gateway.enrollPort,
      localAddress: this.gateway.localAddress,
      secureContext: caContext(this.gateway.caPem),
      servername: this.gateway.servername ?? 'localhost',
    });
    const c = new FramedConnection(socket, timeoutMs);
    try {
      const answer = await c.request(
        {
          type: 'enroll',
          id: c.nextId(),
          device: this.identity.name,
          csr: await this.identity.csr(),
          token,
        },
        ['enrolled'],
      );
      const certificate = new x509.X509Certificate(Uint8Array.from(answer.certificate));
      this.identity.certificatePem = certificate.toString('pem');
      return certificate;
    } catch (err) {
      if (err instanceof RequestError && err.reply)
        throw new EnrollmentRefused(err.reply.code, err.reply.message);
      throw err;
    } finally {
      c.destroy('enrollment done');
    }
  }

  /** Opens a certified session and says hello; resolves once the gateway welcomes it. */
  async connect(
    options: { heartbeats?: boolean; tls?: TlsConnectOptions } = {},
  ): Promise<MessageOf<'welcome'>> {
    if (!this.identity.certificatePem)
      throw new Error(`${this.identity.name} has no certificate; enroll first`);
    const socket = await connectTls({
      host: this.gateway.host,
      port: this.gateway.port,
      localAddress: this.gateway.localAddress,
      servername: this.gateway.servername ?? 'localhost',
      // Overrides (tests of refusals) need their own context; the cached one is for the rest.
      ...(options.tls
        ? {
            key: this.identity.keyPem,
            cert: this.identity.certificatePem,
            ca: [this.gateway.caPem],
            ...tlsProfile(DEVICE_TLS_GROUPS),
            ...options.tls,
          }
        : { secureContext: this.secureContext() }),
    });
    const c = new FramedConnection(socket);
    this.connection = c;
    c.on('message', m => this.receive(c, m));
    c.on('close', reason => {
      clearInterval(this.heartbeatTimer);
      this.emit('closed', reason);
    });
    const welcome = await c.request(
      {
        type: 'hello',
        id: c.nextId(),
        protocolVersion: PROTOCOL_VERSION,
        firmwareVersion: this.profile.firmwareVersion,
        board: this.profile.board,
        capabilities: {
          hostApiVersion: this.profile.hostApiVersion,
          memoryBytes: this.profile.memoryBytes,
          maxModuleBytes: this.profile.maxModuleBytes,
          maxApps: this.profile.maxApps,
          hostFunctions: this.profile.hostFunctions,
        },
        apps: [...this.slots].map(([name, s]) => ({
          name,
          sha256: Buffer.from(s.sha256, 'hex'),
          state: s.state,
        })),
      },
      ['welcome'],
    );
    this.heartbeatIntervalS = welcome.heartbeatIntervalS;
    if (options.heartbeats !== false) this.startHeartbeats(welcome.heartbeatIntervalS * 1000);
    return welcome;
  }

  /**
   * The device's TLS context (its key, certificate and the fleet CA), built once per
   * certificate: parsing PEM for every connection costs more than the handshake itself.
   */
  secureContext(): tls.SecureContext {
    const pem = this.identity.certificatePem;
    if (!pem) throw new Error(`${this.identity.name} has no certificate; enroll first`);
    if (this.context?.pem !== pem) {
      this.context = {
        pem,
        context: tls.createSecureContext({
          key: this.identity.keyPem,
          cert: pem,
          ca: [this.gateway.caPem],
          ...tlsProfile(DEVICE_TLS_GROUPS),
        }),
      };
    }
    return this.context.context;
  }
  private context: { pem: string; context: tls.SecureContext } | undefined;

  startHeartbeats(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch(() => {}), intervalMs);
    this.heartbeatTimer.unref();
  }

  /** One heartbeat; resolves with its round-trip time in milliseconds. */
  async heartbeat(): Promise<number> {
    const c = this.requireConnection();
    const start = performance.now();
    await c.request({ type: 'heartbeat', id: c.nextId(), uptimeMs: Date.now() - this.startedAt }, [
      'heartbeatAck',
    ]);
    const rtt = performance.now() - start;
    this.heartbeatRtts.push(rtt);
    if (this.heartbeatRtts.length > 1000) this.heartbeatRtts.shift();
    return rtt;
  }

  telemetry(app: string, topic: string, value: number): void {
    const c = this.requireConnection();
    c.send({
      type: 'telemetry',
      id: c.nextId(),
      app,
      topic,
      value,
      timeMs: Date.now() - this.startedAt,
    });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, app?: string): void {
    const c = this.requireConnection();
    c.send({ type: 'log', id: c.nextId(), level, message, app });
  }

  /** Closes the session cleanly. */
  close(): void {
    clearInterval(this.heartbeatTimer);
    this.connection?.close('device closing');
  }

  /** Cuts the connection without a goodbye, as a lost network would. */
  drop(): void {
    clearInterval(this.heartbeatTimer);
    this.connection?.destroy('dropped');
  }

  private requireConnection(): FramedConnection {
    if (!this.connection || this.connection.closed)
      throw new Error(`${this.identity.name} is not connected`);
    return this.connection;
  }

  private receive(c: FramedConnection, m: Message): void {
    this.emit('message', m);
    const reply = (r: Message) => {
      if (!c.closed) c.send(r);
    };
    switch (m.type) {
      case 'deployBegin': {
        const sha256 = Buffer.from(m.sha256).toString('hex');
        let slot = this.slots.get(m.app);
        if (!slot || slot.sha256 !== sha256 || slot.size !== m.size) {
          slot = {
            sha256,
            size: m.size,
            bytes: new Uint8Array(m.size),
            received: 0,
            state: 'deploying',
            config: m.config,
          };
          this.slots.set(m.app, slot);
        }
        return reply({ type: 'deployReady', id: m.id, app: m.app, offset: slot.received });
      }
      case 'deployChunk': {
        const slot = this.slots.get(m.app);
        if (!slot)
          return reply({
            type: 'error',
            id: m.id,
            code: 'badMessage',
            message: `no deploy of ${m.app} begun`,
          });
        if (m.offset !== slot.received || m.offset + m.data.length > slot.size) {
          return reply({
            type: 'deployChunkAck',
            id: m.id,
            app: m.app,
            offset: slot.received,
            status: 'outOfOrder',
          });
        }
        const data = this.corruptChunk ? this.corruptChunk(m.app, m.offset, m.data) : m.data;
        if (crc32(data) !== m.crc32) {
          return reply({
            type: 'deployChunkAck',
            id: m.id,
            app: m.app,
            offset: slot.received,
            status: 'checksumMismatch',
          });
        }
        slot.bytes.set(data, m.offset);
        slot.received += data.length;
        this.emit('chunk', m.app, m.offset);
        return reply({
          type: 'deployChunkAck',
          id: m.id,
          app: m.app,
          offset: slot.received,
          status: 'ok',
        });
      }
      case 'deployCommit': {
        const slot = this.slots.get(m.app);
        if (!slot)
          return reply({
            type: 'deployResult',
            id: m.id,
            app: m.app,
            ok: false,
            error: 'unknownApp',
          });
        const actual = createHash('sha256')
          .update(slot.bytes.subarray(0, slot.received))
          .digest('hex');
        if (slot.received !== slot.size || actual !== Buffer.from(m.sha256).toString('hex')) {
          this.slots.delete(m.app);
          return reply({
            type: 'deployResult',
            id: m.id,
            app: m.app,
            ok: false,
            error: 'hashMismatch',
            message: `got ${actual}`,
          });
        }
        slot.state = 'running';
        reply({ type: 'deployResult', id: m.id, app: m.app, ok: true });
        this.emit('deployed', m.app, slot);
        return;
      }
      case 'appStart':
      case 'appStop':
      case 'appRemove': {
        const slot = this.slots.get(m.app);
        if (!slot) return reply({ type: 'appStatus', id: m.id, app: m.app, state: 'removed' });
        if (m.type === 'appRemove') {
          this.slots.delete(m.app);
          return reply({ type: 'appStatus', id: m.id, app: m.app, state: 'removed' });
        }
        slot.state = m.type === 'appStart' ? 'running' : 'stopped';
        return reply({
          type: 'appStatus',
          id: m.id,
          app: m.app,
          state: slot.state,
          sha256: Buffer.from(slot.sha256, 'hex'),
        });
      }
      case 'command': {
        const answer = this.commandHandler?.(m) ?? {
          ok: false,
          result: new TextEncoder().encode('the TypeScript client runs no apps'),
        };
        return reply({ type: 'commandResult', id: m.id, app: m.app, ...answer });
      }
      default:
        return;
    }
  }
}

const caContexts = new Map<string, tls.SecureContext>();

/** A context trusting only the fleet CA, shared by every enrollment against that CA. */
function caContext(caPem: string): tls.SecureContext {
  let context = caContexts.get(caPem);
  if (!context)
    caContexts.set(
      caPem,
      (context = tls.createSecureContext({ ca: [caPem], ...tlsProfile(DEVICE_TLS_GROUPS) })),
    );
  return context;
}

/** tls.connect's options, with the TCP ones it passes on to net.connect. */
export type TlsConnectOptions = tls.ConnectionOptions & { localAddress?: string };

export function connectTls(options: TlsConnectOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    const onError = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
