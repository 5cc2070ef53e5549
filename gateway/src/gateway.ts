import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import pino, { type Logger } from 'pino';
import type { ControlPlane, ControlPlaneEvent } from './controlPlane/types';
import { GatewayMetrics } from './metrics';
import { EnrollmentAuthority } from './pki/enrollmentAuthority';
import { DeviceSession, type SessionMetrics, type SessionSettings } from './session/deviceSession';
import { AttemptLimiter } from './session/attemptLimiter';
import { serveEnrollment } from './session/enrollmentSession';
import { Admission, type AdmissionLimits, DEFAULT_ADMISSION } from './transport/admission';
import { DEFAULT_MAX_QUEUED_BYTES, FramedConnection } from './transport/framedConnection';
import { peerIdentity } from './transport/peerIdentity';
import { GATEWAY_TLS_GROUPS, tlsProfile } from './transport/tlsProfile';

export interface GatewayOptions {
  dataDir: string;
  controlPlane: ControlPlane;
  name?: string;
  host?: string;
  /** Certified device sessions (mutual TLS). 0 picks a free port. */
  port?: number;
  /** Enrollment sessions (server-authenticated TLS only). 0 picks a free port. */
  enrollPort?: number;
  serverNames?: string[];
  heartbeatIntervalS?: number;
  heartbeatTimeoutMs?: number;
  helloTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
  /** Accept TLS 1.2 clients too. Off: TLS 1.3 only. */
  allowTls12?: boolean;
  /** Key-exchange groups, OpenSSL list syntax; default GATEWAY_TLS_GROUPS. */
  tlsGroups?: string;
  deviceCertificateDays?: number;
  /** Caps on connections and handshakes, per listener (DEFAULT_ADMISSION). */
  admission?: Partial<AdmissionLimits>;
  /** Output bytes queued for one peer before it is cut off as not reading. */
  maxQueuedBytes?: number;
  /** Enrollment attempts per device name per window, across connections. */
  enrollAttempts?: { max: number; windowMs: number };
  /** How often the CRL's age is checked; it is re-signed once a day (CRL_REFRESH_MS). */
  crlCheckIntervalMs?: number;
  /** Shared with the control plane, so one /metrics shows both. */
  metrics?: GatewayMetrics;
  /** The CA's clock (tests move it); default the system clock. */
  now?: () => Date;
  logger?: Logger;
}

/** A CRL is re-signed when older than this; its nextUpdate is CRL_VALIDITY_MS after. */
export const CRL_REFRESH_MS = 86_400_000;

/**
 * The device gateway: a mutual-TLS listener for certified sessions, a server-authenticated
 * listener for enrollment, the fleet CA, and the sessions between them and the control plane.
 */
export class Gateway {
  readonly sessions = new Map<string, DeviceSession>();
  readonly metrics: GatewayMetrics;
  private unsubscribe: () => void = () => {};
  private crlTimer: NodeJS.Timeout | undefined;
  readonly admission: { device: Admission; enroll: Admission };
  /** Enrollment attempts per registered device name (unknown names are never counted). */
  readonly enrollAttempts: AttemptLimiter;
  private readonly connectionOptions: { maxQueuedBytes: number; log: Logger };

  private constructor(
    readonly authority: EnrollmentAuthority,
    private readonly deviceServer: tls.Server,
    private readonly enrollServer: tls.Server,
    private readonly settings: SessionSettings,
    private readonly options: GatewayOptions,
    readonly log: Logger,
    private readonly serverCredentials: { key: string; cert: string },
  ) {
    this.metrics = options.metrics ?? new GatewayMetrics();
    const limits = { ...DEFAULT_ADMISSION, ...options.admission };
    const refused = (listener: string) => () =>
      this.metrics.refusals.inc({ reason: `${listener}Admission` });
    this.admission = {
      device: new Admission(deviceServer, 'device', limits, log, refused('device')),
      enroll: new Admission(enrollServer, 'enroll', limits, log, refused('enroll')),
    };
    const attempts = options.enrollAttempts ?? { max: 10, windowMs: 600_000 };
    this.enrollAttempts = new AttemptLimiter(attempts.max, attempts.windowMs);
    this.connectionOptions = {
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      log,
    };
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const log = options.logger ?? pino({ name: 'gateway' });
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const authority = await EnrollmentAuthority.open(path.join(options.dataDir), {
      serverNames: options.serverNames,
      deviceCertificateDays: options.deviceCertificateDays,
      now: options.now,
    });
    // Revoked fleet-wide before this gateway started: on the CRL before the first handshake.
    const revoked = (await options.controlPlane.revokedSerials?.()) ?? [];
    if (revoked.length) await authority.revoke(revoked);
    const credentials = await authority.serverCredentials();
    const profile = tlsProfile(options.tlsGroups ?? GATEWAY_TLS_GROUPS, options.allowTls12);
    const handshakeTimeout = options.handshakeTimeoutMs ?? 10_000;
    const deviceServer = tls.createServer({
      ...deviceContext(authority, credentials, profile),
      requestCert: true,
      // Node checks the chain after OpenSSL's handshake and would drop a bad client silently;
      // acceptDevice makes the same check itself so each refusal is logged with its reason.
      rejectUnauthorized: false,
      handshakeTimeout,
    });
    const enrollServer = tls.createServer({ ...credentials, ...profile, handshakeTimeout });
    const settings: SessionSettings = {
      gatewayName: options.name ?? 'gateway',
      heartbeatIntervalS: options.heartbeatIntervalS ?? 30,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 90_000,
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      messagesPerSecond: options.messagesPerSecond ?? 50,
      messageBurst: options.messageBurst ?? 200,
    };
    const gateway = new Gateway(
      authority,
      deviceServer,
      enrollServer,
      settings,
      options,
      log,
      credentials,
    );
    gateway.wire();
    const host = options.host ?? '127.0.0.1';
    await listen(deviceServer, options.port ?? 8443, host);
    await listen(enrollServer, options.enrollPort ?? 8444, host);
    log.info({ port: gateway.port, enrollPort: gateway.enrollPort, host }, 'gateway listening');
    return gateway;
  }

  get port(): number {
    return (this.deviceServer.address() as AddressInfo).port;
  }

  get enrollPort(): number {
    return (this.enrollServer.address() as AddressInfo).port;
  }

  /** Where the CA, the server key and the admin token are kept. */
  get dataDir(): string {
    return this.options.dataDir;
  }

  get caCertificatePem(): string {
    return this.authority.caCertificatePem;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.crlTimer);
    for (const s of this.sessions.values()) s.close('gateway stopping');
    await Promise.all([close(this.deviceServer), close(this.enrollServer)]);
  }

  private wire(): void {
    const { deviceServer, enrollServer, metrics, log } = this;
    deviceServer.on('secureConnection', socket =>
      this.guard(socket, 'device', () => this.acceptDevice(socket)),
    );
    deviceServer.on('tlsClientError', (err, socket) => {
      metrics.handshakes.inc({ listener: 'device', outcome: 'refused' });
      log.info({ remote: socket.remoteAddress, reason: err.message }, 'device handshake refused');
    });
    enrollServer.on('secureConnection', socket =>
      this.guard(socket, 'enroll', () => this.acceptEnrollment(socket)),
    );
    enrollServer.on('tlsClientError', (err, socket) => {
      metrics.handshakes.inc({ listener: 'enroll', outcome: 'refused' });
      log.info(
        { remote: socket.remoteAddress, reason: err.message },
        'enrollment handshake refused',
      );
    });
    this.unsubscribe = this.options.controlPlane.subscribe(event =>
      this.onControlPlaneEvent(event).catch(err =>
        log.error({ event, err: (err as Error).message }, 'control plane event not applied'),
      ),
    );
    // The CRL carries a nextUpdate; once it passes, TLS refuses every client. It is re-signed
    // daily, long before that, checked hourly so a suspended or slow host catches up.
    this.crlTimer = setInterval(
      () => void this.refreshCrl(),
      this.options.crlCheckIntervalMs ?? 3_600_000,
    );
    this.crlTimer.unref();
  }

  /** Re-signs the CRL if it is a day old (or past due) and gives TLS the new one. */
  async refreshCrl(): Promise<void> {
    try {
      if (await this.authority.refreshCrl(CRL_REFRESH_MS)) this.reloadTls();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'CRL not refreshed');
    }
  }

  /**
   * A server's event handler runs outside any connection's guard: what it throws would end the
   * process. Here it ends that one connection instead.
   */
  private guard(socket: tls.TLSSocket, listener: string, accept: () => void): void {
    try {
      accept();
    } catch (err) {
      this.log.error(
        { listener, remote: socket.remoteAddress, reason: (err as Error).message },
        'closing connection after an internal error',
      );
      socket.destroy();
    }
  }

  private acceptDevice(socket: tls.TLSSocket): void {
    // The name and serial, read from the session (transport/peerIdentity.ts): not
    // getPeerCertificate(), which builds the whole certificate object (about 5% of the CPU of
    // a handshake), nor getPeerX509Certificate(), which Node 22 never frees on a server socket.
    const peer = peerIdentity(socket);
    if (!socket.authorized) {
      this.metrics.handshakes.inc({ listener: 'device', outcome: 'refused' });
      const reason = peer.presented ? String(socket.authorizationError) : 'no client certificate';
      this.log.info({ remote: socket.remoteAddress, reason }, 'device handshake refused');
      socket.destroy();
      return;
    }
    this.metrics.handshakes.inc({ listener: 'device', outcome: 'ok' });
    // A subject with no CN or several names no one device, and is refused.
    const { device, serialNumber } = peer;
    const connection = new FramedConnection(socket, this.connectionOptions);
    if (!device || !serialNumber) {
      connection.destroy('certificate names no device');
      return;
    }
    this.options.controlPlane.getDevice(device).then(
      record => {
        if (connection.closed) return;
        if (!record || record.revoked || this.authority.isRevoked(serialNumber)) {
          this.log.warn({ device }, 'certificate of an unknown or revoked device');
          this.metrics.refusals.inc({ reason: 'unauthorized' });
          return connection.destroy('unauthorized');
        }
        this.openSession(device, connection);
      },
      (err: Error) => {
        this.log.error({ device, err: err.message }, 'device lookup failed');
        connection.destroy(`device lookup failed: ${err.message}`);
      },
    );
  }

  private openSession(device: string, connection: FramedConnection): void {
    this.sessions.get(device)?.close('replaced by a new session');
    const session = new DeviceSession(
      device,
      connection,
      this.options.controlPlane,
      this.authority,
      this.settings,
      this.log,
      this.sessionMetrics,
      this.sessionEnded,
    );
    this.sessions.set(device, session);
    this.metrics.sessions.set(this.sessions.size);
  }

  // Shared by every session rather than made per session: at 10,000 sessions, per-session
  // closures (and the scopes they hold on to) add up.
  private readonly sessionMetrics: SessionMetrics = {
    frameIn: type => this.metrics.framesIn.inc({ type }),
    refused: reason => this.metrics.refusals.inc({ reason }),
    deploy: outcome => this.metrics.deploys.inc({ outcome }),
    appKept: () => this.metrics.appsKept.inc(),
  };

  private readonly sessionEnded = (session: DeviceSession, reason: string): void => {
    if (this.sessions.get(session.device) === session) this.sessions.delete(session.device);
    this.metrics.sessions.set(this.sessions.size);
    this.log.info({ device: session.device, reason }, 'session ended');
  };

  private acceptEnrollment(socket: tls.TLSSocket): void {
    this.metrics.handshakes.inc({ listener: 'enroll', outcome: 'ok' });
    const connection = new FramedConnection(socket, this.connectionOptions);
    serveEnrollment(
      connection,
      this.options.controlPlane,
      this.authority,
      this.log,
      this.settings.helloTimeoutMs,
      this.enrollAttempts,
      ok => this.metrics.enrollments.inc({ outcome: ok ? 'ok' : 'refused' }),
    );
  }

  private async onControlPlaneEvent(event: ControlPlaneEvent): Promise<void> {
    if (event.kind === 'desiredAppsChanged') {
      await this.sessions.get(event.device)?.reconcile();
      return;
    }
    if (event.kind === 'revocationsChanged') {
      const before = this.authority.revokedCount;
      await this.authority.revoke(event.serials);
      if (this.authority.revokedCount !== before) this.reloadTls();
      return;
    }
    // Revoked or deleted: its certificates go on the CRL, then its live session is closed.
    const serials = await this.options.controlPlane.certificateSerials(event.device);
    await this.authority.revoke(serials);
    this.reloadTls();
    this.sessions
      .get(event.device)
      ?.close(event.kind === 'deviceRevoked' ? 'device revoked' : 'device deleted');
    this.log.info({ device: event.device, serials: serials.length }, event.kind);
  }

  private reloadTls(): void {
    const profile = tlsProfile(
      this.options.tlsGroups ?? GATEWAY_TLS_GROUPS,
      this.options.allowTls12,
    );
    this.deviceServer.setSecureContext(
      deviceContext(this.authority, this.serverCredentials, profile),
    );
  }
}

/**
 * The device listener's TLS context: our key, the fleet CA as the only trust, and its CRL.
 * An empty CRL is left out: checking it costs two signature checks per handshake and can
 * refuse nothing. The first revocation reloads the context with it.
 */
function deviceContext(
  authority: EnrollmentAuthority,
  credentials: { key: string; cert: string },
  profile: ReturnType<typeof tlsProfile>,
): tls.SecureContextOptions {
  const crl = authority.revokedCount > 0 ? [authority.crlPem] : undefined;
  return { ...credentials, ...profile, ca: [authority.caCertificatePem], crl };
}

function listen(server: tls.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: tls.Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()));
}
