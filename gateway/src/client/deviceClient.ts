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

/** A welcomed session of a client that keeps itself connected (keepConnected). */
export interface Connected {
  /** The gateway that welcomed it, and its place in the client's list. */
  gateway: GatewayAddress;
  index: number;
  /** Date.now() when the welcome arrived. */
  atMs: number;
  /** Welcomed sessions so far, this one included: 1 is the first connect, 2+ are reconnects. */
  session: number;
  /** Date.now() when the previous session ended; undefined for the first. */
  droppedAtMs: number | undefined;
  /** Connection attempts since the previous session ended (or since the start), this one included. */
  attempts: number;
}

/**
 * How a client that keeps itself connected comes back. After its session ends it waits a
 * random time below `firstDelayMs` and dials the next gateway of its list; a failed attempt
 * moves on to the next gateway at once, and only when a whole round of the list failed does it
 * wait again, a random time below a bound that doubles per round up to `maxDelayMs` ("full
 * jitter"). The randomness is what keeps 500 clients that lost one gateway at the same
 * instant from reaching the next in the same millisecond.
 */
export interface ReconnectPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A dial that has not completed its TLS handshake by then counts as failed. */
  connectTimeoutMs: number;
  /** Heartbeats unanswered in a row (each within the request timeout) that end the session. */
  missedHeartbeats: number;
  random: () => number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = {
  firstDelayMs: 1000,
  maxDelayMs: 16_000,
  connectTimeoutMs: 10_000,
  missedHeartbeats: 2,
  random: Math.random,
};

/** How each certified session runs (connect, keepConnected). */
export interface SessionOptions {
  /** false: no heartbeats (tests that send their own). */
  heartbeats?: boolean;
  heartbeatIntervalMs?: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface DeviceClientEvents {
  deployed: [string, Slot];
  chunk: [string, number];
  closed: [string];
  message: [Message];
  /** keepConnected: a session was welcomed (the first, or one after a drop). */
  connected: [Connected];
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
 *
 * Like the firmware it may know several gateways: enrollment tries them in turn, and
 * keepConnected() moves to the next one whenever a session ends or a dial fails. Its slots
 * outlive sessions, so the hello of a new session says what it already runs and a gateway that
 * takes it over has nothing to send again; `deploysReceived` counts what was sent anyway.
 */
export class DeviceClient extends EventEmitter<DeviceClientEvents> {
  readonly slots = new Map<string, Slot>();
  /** deployBegin messages received per app, over every session: a re-sent module shows here. */
  readonly deploysReceived = new Map<string, number>();
  /** Deploys committed (hash checked, slot running) per app, over every session. */
  readonly deploysCommitted = new Map<string, number>();
  /** The gateways this client may use, in the order it tries them. */
  readonly gateways: readonly GatewayAddress[];
  /** Welcomed sessions while keeping itself connected; the last one's facts. */
  sessions = 0;
  lastConnected: Connected | undefined;
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

  private gatewayIndex = 0;

  constructor(
    readonly identity: DeviceIdentity,
    gateway: GatewayAddress | readonly GatewayAddress[],
    readonly profile: DeviceProfile = DEFAULT_PROFILE,
  ) {
    super();
    this.gateways = Array.isArray(gateway) ? [...gateway] : [gateway as GatewayAddress];
    if (this.gateways.length === 0) throw new Error('a device client needs a gateway');
  }

  /** The gateway the next dial goes to (the one of the current session, if any). */
  get gateway(): GatewayAddress {
    return this.gateways[this.gatewayIndex]!;
  }

  /** Moves on to the next gateway of the list (round robin); returns it. */
  nextGateway(): GatewayAddress {
    this.gatewayIndex = (this.gatewayIndex + 1) % this.gateways.length;
    return this.gateway;
  }

  /**
   * Gets a certificate over an enrollment session; a token, or nothing for a pinned key. A
   * gateway that cannot be reached is skipped for the next one of the list; a gateway's
   * refusal is an answer (EnrollmentRefused), not a reason to ask another.
   */
  async enroll(token?: string, timeoutMs = 15_000): Promise<x509.X509Certificate> {
    for (let tried = 1; ; tried++) {
      let socket: tls.TLSSocket;
      try {
        socket = await connectTls(
          {
            host: this.gateway.host,
            port: this.gateway.enrollPort,
            localAddress: this.gateway.localAddress,
            secureContext: caContext(this.gateway.caPem),
            servername: this.gateway.servername ?? 'localhost',
          },
          timeoutMs,
        );
      } catch (err) {
        if (tried >= this.gateways.length) throw err;
        this.nextGateway();
        continue;
      }
      return this.enrollOver(socket, token, timeoutMs);
    }
  }

  private async enrollOver(
    socket: tls.TLSSocket,
    token: string | undefined,
    timeoutMs: number,
  ): Promise<x509.X509Certificate> {
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

  /**
   * Opens a certified session and says hello; resolves once the gateway welcomes it.
   * `heartbeatIntervalMs` replaces the interval the welcome asks for, and `requestTimeoutMs`
   * bounds the wait for each answer (hello, heartbeats): tests of a gateway that stops
   * answering need not wait a real device's 30 s.
   */
  async connect(
    options: SessionOptions & { tls?: TlsConnectOptions } = {},
  ): Promise<MessageOf<'welcome'>> {
    if (!this.identity.certificatePem)
      throw new Error(`${this.identity.name} has no certificate; enroll first`);
    const socket = await connectTls(
      {
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
      },
      options.connectTimeoutMs,
    );
    const c = new FramedConnection(socket, options.requestTimeoutMs ?? 15_000);
    this.connection = c;
    c.on('message', m => this.receive(c, m));
    c.on('close', reason => {
      if (this.connection === c) clearInterval(this.heartbeatTimer);
      this.emit('closed', reason);
      // Only a welcomed session's end starts a reconnect: a dial that fails before its welcome
      // is the dialling loop's to handle.
      if (this.welcomedConnection === c) {
        this.welcomedConnection = undefined;
        if (this.keeping) this.sessionEnded();
      }
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
    if (options.heartbeats !== false)
      this.startHeartbeats(options.heartbeatIntervalMs ?? welcome.heartbeatIntervalS * 1000);
    return welcome;
  }

  /**
   * The device's TLS context (its key, certificate and the fleet CA), built once per
   * certificate: parsing PEM for every connection costs more than the handshake itself.
   */
  secureContext(): tls.SecureContext {
    const pem = this.identity.certificatePem;
    if (!pem) throw new Error(`${this.identity.name} has no certificate; enroll first`);
    const caPem = this.gateway.caPem;
    if (this.context?.pem !== pem || this.context.caPem !== caPem) {
      this.context = {
        pem,
        caPem,
        context: tls.createSecureContext({
          key: this.identity.keyPem,
          cert: pem,
          ca: [caPem],
          ...tlsProfile(DEVICE_TLS_GROUPS),
        }),
      };
    }
    return this.context.context;
  }
  private context: { pem: string; caPem: string; context: tls.SecureContext } | undefined;

  startHeartbeats(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    let missed = 0;
    this.heartbeatTimer = setInterval(() => {
      const c = this.connection;
      this.heartbeat().then(
        () => (missed = 0),
        () => {
          // A gateway that stopped answering (its host gone, no FIN or RST) is left the way
          // the firmware leaves it: after missed acks, for the next gateway.
          if (this.keeping && ++missed >= this.policy.missedHeartbeats && c && !c.closed)
            c.destroy('no heartbeatAck');
        },
      );
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  private keeping = false;
  private welcomedConnection: FramedConnection | undefined;
  private policy: ReconnectPolicy = DEFAULT_RECONNECT;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepOptions: SessionOptions = {};
  private droppedAtMs: number | undefined;
  private attempts = 0;
  private firstWelcome:
    { resolve: (w: MessageOf<'welcome'>) => void; reject: (e: Error) => void } | undefined;

  /**
   * Connects and stays connected until close(): whenever the session ends (the gateway died,
   * closed it, or stopped answering heartbeats) or a dial fails, it moves to the next gateway
   * of its list, by the reconnect policy. Resolves with the first welcome; every welcome is
   * also a `connected` event (with the time, for failover measurements) and `lastConnected`.
   * Rejects only if close() is called before any gateway welcomed it.
   */
  keepConnected(
    options: SessionOptions & { policy?: Partial<ReconnectPolicy> } = {},
  ): Promise<MessageOf<'welcome'>> {
    if (this.keeping) throw new Error(`${this.identity.name} is already keeping itself connected`);
    this.keeping = true;
    this.policy = { ...DEFAULT_RECONNECT, ...options.policy };
    const { policy: _, ...session } = options;
    this.keepOptions = session;
    this.attempts = 0;
    const welcomed = new Promise<MessageOf<'welcome'>>((resolve, reject) => {
      this.firstWelcome = { resolve, reject };
    });
    this.dialRound(this.gatewayIndex, this.policy.firstDelayMs);
    return welcomed;
  }

  /** Dials the current gateway; on failure the next, and waits only after a whole round. */
  private dialRound(roundStart: number, delayBoundMs: number): void {
    if (!this.keeping) return;
    this.attempts++;
    this.connect({
      ...this.keepOptions,
      connectTimeoutMs: this.keepOptions.connectTimeoutMs ?? this.policy.connectTimeoutMs,
    }).then(
      welcome => {
        if (!this.keeping) return this.connection?.close('device closing');
        this.welcomedConnection = this.connection;
        const connected: Connected = {
          gateway: this.gateway,
          index: this.gatewayIndex,
          atMs: Date.now(),
          session: ++this.sessions,
          droppedAtMs: this.droppedAtMs,
          attempts: this.attempts,
        };
        this.attempts = 0;
        this.lastConnected = connected;
        this.firstWelcome?.resolve(welcome);
        this.firstWelcome = undefined;
        this.emit('connected', connected);
      },
      () => {
        if (!this.keeping) return;
        this.nextGateway();
        if (this.gatewayIndex !== roundStart) return this.dialRound(roundStart, delayBoundMs);
        // A whole round failed: wait, then start the next round with a doubled bound.
        this.wait(delayBoundMs, () =>
          this.dialRound(this.gatewayIndex, Math.min(delayBoundMs * 2, this.policy.maxDelayMs)),
        );
      },
    );
  }

  private sessionEnded(): void {
    this.droppedAtMs = Date.now();
    // The gateway of the session that ended is the one least likely to answer now.
    this.nextGateway();
    this.wait(this.policy.firstDelayMs, () =>
      this.dialRound(
        this.gatewayIndex,
        Math.min(this.policy.firstDelayMs * 2, this.policy.maxDelayMs),
      ),
    );
  }

  private wait(boundMs: number, then: () => void): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(then, Math.floor(this.policy.random() * boundMs));
    this.reconnectTimer.unref();
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

  /** Closes the session cleanly, and stops keeping the client connected. */
  close(): void {
    this.keeping = false;
    clearTimeout(this.reconnectTimer);
    this.firstWelcome?.reject(new Error(`${this.identity.name} closed before any welcome`));
    this.firstWelcome = undefined;
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
        this.deploysReceived.set(m.app, (this.deploysReceived.get(m.app) ?? 0) + 1);
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
        this.deploysCommitted.set(m.app, (this.deploysCommitted.get(m.app) ?? 0) + 1);
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

/**
 * Dials and completes the TLS handshake. With `timeoutMs`, a dial that has not completed by
 * then fails (an address that drops packets would otherwise hold it for the kernel's minutes).
 */
export function connectTls(options: TlsConnectOptions, timeoutMs?: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => onError(new Error(`no TLS session within ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
