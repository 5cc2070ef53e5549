import { certificateFacts } from '../pki/enrollmentAuthority';
import type { Logger } from 'pino';
import { missingImports, ModuleFormatError } from '../wasm/moduleImports';
import {
  type ControlPlane,
  type DesiredApp,
  MAX_APPS_PER_DEVICE,
  type ObservedAppPhase,
} from '../controlPlane/types';
import { ProtocolError } from '../protocol/errors';
import { MAX_ERROR_MESSAGE_BYTES, PROTOCOL_VERSION } from '../protocol/limits';
import { truncateUtf8 } from '../protocol/text';
import type { Message, MessageOf } from '../protocol/messages';
import type { FramedConnection } from '../transport/framedConnection';
import { DeploymentSession } from './deploymentSession';
import { TokenBucket } from './tokenBucket';
import { internList, internString } from './interned';
import type { EnrollmentAuthority } from '../pki/enrollmentAuthority';

export interface SessionSettings {
  gatewayName: string;
  heartbeatIntervalS: number;
  heartbeatTimeoutMs: number;
  helloTimeoutMs: number;
  messagesPerSecond: number;
  messageBurst: number;
}

export interface SessionMetrics {
  frameIn(type: string): void;
  refused(reason: string): void;
  /** A deploy ended: sent (committed), failed, or refused before sending. */
  deploy(outcome: 'sent' | 'failed' | 'refused'): void;
  /** An app the device already ran at connect and was not sent again. */
  appKept(): void;
}

const PHASE: Record<string, ObservedAppPhase> = {
  deploying: 'Deploying',
  running: 'Running',
  stopped: 'Stopped',
  failed: 'Failed',
};

/** What a session keeps of the device's hello. */
export interface DeviceFacts {
  firmwareVersion: string;
  board: string;
  hostFunctions: readonly string[];
}

/**
 * A certified device session: hello, heartbeats, telemetry and logs in; deploys and app
 * control out, reconciled against what the control plane wants each time the device says what
 * it runs.
 */
export class DeviceSession {
  // Plain numbers and interned facts: every byte here is multiplied by the fleet.
  readonly sinceMs = Date.now();
  lastHeartbeatMs: number | undefined;
  hello: DeviceFacts | undefined;
  private readonly bucket: TokenBucket;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  private timeoutReason = '';
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private deviceApps = new Map<string, { sha256: string; state: string }>();
  private reconciledOnce = false;
  /** Apps whose module problem was reported, so each problem is reported once. */
  private readonly problemReported = new Map<string, string>();

  constructor(
    readonly device: string,
    readonly connection: FramedConnection,
    private readonly controlPlane: ControlPlane,
    private readonly authority: EnrollmentAuthority,
    private readonly settings: SessionSettings,
    private readonly gatewayLog: Logger,
    private readonly metrics: SessionMetrics,
    private readonly onEnd: (session: DeviceSession, reason: string) => void,
  ) {
    this.bucket = new TokenBucket(settings.messagesPerSecond, settings.messageBurst);
    // receive returns the promise of any async work it starts: the connection catches its
    // rejection (captureRejections) and closes this session only.
    connection.on('message', m => this.receive(m));
    connection.on('protocolError', err => {
      // Every inbound frame counts against the rate limit, answered or not.
      if (!this.admit(0)) return;
      // An unknown type may come from a newer device: say so and carry on (docs/protocol.md §5).
      if (err.code === 'UnknownMessageType') {
        this.metrics.refused(err.code);
        this.reply({
          type: 'error',
          id: 0,
          code: 'unknownType',
          message: truncateUtf8(err.message, MAX_ERROR_MESSAGE_BYTES),
        });
      } else this.refuse(err);
    });
    connection.on('close', reason => this.ended(reason));
    this.armTimeout(settings.helloTimeoutMs, 'no hello');
  }

  /** Made per use, not kept: sessions log rarely, and 10,000 kept child loggers cost memory. */
  private get log(): Logger {
    return this.gatewayLog.child({ device: this.device });
  }

  get remoteAddress(): string | undefined {
    return (this.connection.socket as { remoteAddress?: string }).remoteAddress;
  }

  /** Ends the session from the gateway's side (revocation, replacement, shutdown). */
  close(reason: string): void {
    this.log.info({ reason }, 'closing session');
    this.connection.destroy(reason);
  }

  /** Sends a command to one of the device's apps and waits for the app's answer. */
  command(app: string, name: string, payload?: Uint8Array): Promise<MessageOf<'commandResult'>> {
    const c = this.connection;
    return c.request({ type: 'command', id: c.nextId(), app, name, payload }, ['commandResult']);
  }

  /** Brings the device's apps to what the control plane wants; runs one pass at a time. */
  reconcile(): Promise<void> {
    if (!this.hello) return Promise.resolve();
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.reconcileAgain = false;
        await this.reconcileOnce();
      } while (this.reconcileAgain && !this.connection.closed);
    })()
      .catch(err => this.log.warn({ err: (err as Error).message }, 'reconcile stopped'))
      .finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const desired = await this.controlPlane.desiredApps(this.device);
    const c = this.connection;
    const firstPass = !this.reconciledOnce;
    this.reconciledOnce = true;
    for (const app of desired) {
      if (c.closed) return;
      const have = this.deviceApps.get(app.name);
      if (app.problem !== undefined) {
        // The module cannot be had: say so, and leave whatever the device holds as it is.
        if (this.problemReported.get(app.name) !== app.problem) {
          this.problemReported.set(app.name, app.problem);
          this.log.warn({ app: app.name, problem: app.problem }, 'app not deployed');
          this.background(
            this.controlPlane.reportApp(this.device, app.name, {
              phase: 'Failed',
              sha256: app.sha256,
              error: truncateUtf8(app.problem, 1024),
            }),
          );
        }
        continue;
      }
      this.problemReported.delete(app.name);
      // Given another version of the spec than this one (e.g. other config): sent again.
      const stale = app.generation !== undefined && app.deliveredGeneration !== app.generation;
      if (
        !have ||
        have.sha256 !== app.sha256 ||
        have.state === 'failed' ||
        have.state === 'deploying' ||
        stale
      ) {
        await this.deploy(app);
      } else {
        if (firstPass) this.metrics.appKept();
        if (app.running && have.state === 'stopped') {
          await this.control('appStart', app.name);
        } else if (!app.running && have.state === 'running') {
          await this.control('appStop', app.name);
        }
      }
    }
    const wanted = new Set(desired.map(a => a.name));
    for (const name of [...this.deviceApps.keys()]) {
      if (!wanted.has(name) && !c.closed) await this.control('appRemove', name);
    }
  }

  private async deploy(app: DesiredApp): Promise<void> {
    const report = (o: Parameters<ControlPlane['reportApp']>[2]) =>
      this.background(this.controlPlane.reportApp(this.device, app.name, o));
    const problems = this.importProblems(app);
    if (problems.length) {
      const error = `refused before sending: module ${problems.join('; ')}`;
      this.log.warn({ app: app.name, problems }, 'deploy refused: imports the device lacks');
      report({ phase: 'Failed', sha256: app.sha256, error });
      this.deviceApps.set(app.name, { sha256: app.sha256, state: 'refused' });
      this.metrics.deploy('refused');
      return;
    }
    const log = this.log.child({ app: app.name });
    try {
      await new DeploymentSession(this.connection, app, report, log).run();
      this.deviceApps.set(app.name, { sha256: app.sha256, state: 'running' });
      this.metrics.deploy('sent');
      log.info({ bytes: app.module.length }, 'deployed');
      if (!app.running) await this.control('appStop', app.name);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'deploy did not complete');
      this.metrics.deploy('failed');
      if (!this.connection.closed) {
        this.deviceApps.set(app.name, { sha256: app.sha256, state: 'refused' });
        report({ phase: 'Failed', sha256: app.sha256, error: (err as Error).message });
      }
    }
  }

  private importProblems(app: DesiredApp): string[] {
    try {
      return missingImports(app.module, this.hello?.hostFunctions ?? []);
    } catch (err) {
      if (err instanceof ModuleFormatError) return [`is not valid WebAssembly: ${err.message}`];
      throw err;
    }
  }

  private async control(type: 'appStart' | 'appStop' | 'appRemove', app: string): Promise<void> {
    const c = this.connection;
    const status = await c.request({ type, id: c.nextId(), app }, ['appStatus']);
    this.applyAppStatus(status);
  }

  private applyAppStatus(s: MessageOf<'appStatus'>): void {
    if (!this.deviceApps.has(s.app) && this.deviceApps.size >= MAX_APPS_PER_DEVICE) {
      // No device holds that many slots: this one is making up names to grow our state.
      return this.refuse(new Error(`appStatus for more than ${MAX_APPS_PER_DEVICE} apps`));
    }
    if (s.state === 'removed') {
      this.deviceApps.delete(s.app);
      this.background(this.controlPlane.reportApp(this.device, s.app, { phase: 'Removed' }));
      return;
    }
    const sha256 = s.sha256
      ? Buffer.from(s.sha256).toString('hex')
      : this.deviceApps.get(s.app)?.sha256;
    if (sha256) this.deviceApps.set(s.app, { sha256, state: s.state });
    this.background(
      this.controlPlane.reportApp(this.device, s.app, {
        phase: PHASE[s.state]!,
        sha256,
        error: s.error,
        restarts: s.restarts,
      }),
    );
  }

  /** Takes a token from the rate limiter; a peer over its rate is refused and closed. */
  private admit(id: number): boolean {
    if (this.bucket.take()) return true;
    this.reply({ type: 'error', id, code: 'rateLimited', message: 'message rate limit exceeded' });
    this.refuse(new Error(`rate limit of ${this.settings.messagesPerSecond}/s exceeded`), false);
    return false;
  }

  private receive(m: Message): Promise<void> | void {
    this.metrics.frameIn(m.type);
    if (!this.admit(m.id)) return;
    if (!this.hello) {
      if (m.type !== 'hello') return this.refuse(new Error(`expected hello, got ${m.type}`));
      return this.onHello(m);
    }
    switch (m.type) {
      case 'heartbeat': {
        const now = (this.lastHeartbeatMs = Date.now());
        this.armTimeout(this.settings.heartbeatTimeoutMs, 'heartbeat timeout');
        this.reply({ type: 'heartbeatAck', id: m.id, serverTimeMs: now });
        return this.controlPlane.reportDevice(this.device, {
          lastHeartbeat: new Date(now),
          phase: 'Connected',
        });
      }
      case 'telemetry':
        return this.controlPlane.recordTelemetry(this.device, {
          app: m.app,
          topic: m.topic,
          value: m.value,
          deviceTimeMs: m.timeMs,
          receivedAt: new Date(),
        });
      case 'log':
        return this.controlPlane.recordLog(this.device, {
          level: m.level,
          message: m.message,
          app: m.app,
          receivedAt: new Date(),
        });
      case 'appStatus':
        return this.applyAppStatus(m);
      case 'renew':
        return this.renew(m);
      case 'error':
        this.log.warn({ code: m.code, message: m.message }, 'device reported an error');
        return;
      default:
        this.reply({
          type: 'error',
          id: m.id,
          code: 'badMessage',
          message: `${m.type} is not sent by devices`,
        });
    }
  }

  private async onHello(m: MessageOf<'hello'>): Promise<void> {
    if (m.protocolVersion !== PROTOCOL_VERSION) {
      this.reply({
        type: 'error',
        id: m.id,
        code: 'unsupportedVersion',
        message: `this gateway speaks version ${PROTOCOL_VERSION}`,
      });
      return this.refuse(new Error(`protocol version ${m.protocolVersion}`), false);
    }
    const hostFunctions = internList(m.capabilities.hostFunctions);
    this.hello = {
      firmwareVersion: internString(m.firmwareVersion),
      board: internString(m.board),
      hostFunctions,
    };
    this.deviceApps = new Map(
      m.apps.map(a => [a.name, { sha256: Buffer.from(a.sha256).toString('hex'), state: a.state }]),
    );
    this.armTimeout(this.settings.heartbeatTimeoutMs, 'heartbeat timeout');
    this.reply({
      type: 'welcome',
      id: m.id,
      heartbeatIntervalS: this.settings.heartbeatIntervalS,
      serverTimeMs: Date.now(),
    });
    await this.controlPlane.reportDevice(this.device, {
      phase: 'Connected',
      gateway: this.settings.gatewayName,
      firmwareVersion: this.hello.firmwareVersion,
      board: this.hello.board,
      capabilities: { ...m.capabilities, hostFunctions },
      lastHeartbeat: new Date(),
      apps: m.apps.map(a => ({
        name: a.name,
        sha256: Buffer.from(a.sha256).toString('hex'),
        phase: PHASE[a.state]!,
        restarts: a.restarts,
        error: a.error,
      })),
    });
    this.log.info(
      { firmware: m.firmwareVersion, board: m.board, apps: m.apps.length },
      'device connected',
    );
    await this.reconcile();
  }

  private async renew(m: MessageOf<'renew'>): Promise<void> {
    try {
      const record = await this.controlPlane.getDevice(this.device);
      const cert = await this.authority.issueDeviceCertificate(
        this.device,
        m.csr,
        record?.pinnedPublicKeyPem,
      );
      await this.controlPlane.reportDevice(this.device, { certificate: certificateFacts(cert) });
      this.reply({
        type: 'enrolled',
        id: m.id,
        certificate: cert.der,
        notAfter: Math.floor(cert.notAfter.getTime() / 1000),
      });
      this.log.info({ serial: cert.serialNumber }, 'certificate renewed');
    } catch (err) {
      this.reply({
        type: 'error',
        id: m.id,
        code: 'unauthorized',
        message: truncateUtf8((err as Error).message, MAX_ERROR_MESSAGE_BYTES),
      });
    }
  }

  /** A report nobody awaits: its failure is logged, never left as an unhandled rejection. */
  private background(report: Promise<unknown>): void {
    report.catch(err =>
      this.log.warn({ err: (err as Error).message }, 'control plane report failed'),
    );
  }

  private reply(m: Message): void {
    if (!this.connection.closed) this.connection.send(m);
  }

  /** A broken or abusive peer costs only its own session. */
  private refuse(err: Error, answer = true): void {
    const reason = err.message;
    this.metrics.refused(err instanceof ProtocolError ? err.code : 'session');
    this.log.warn({ reason }, 'refusing session');
    if (answer && !this.connection.closed) {
      const code =
        err instanceof ProtocolError &&
        !['UnknownField', 'MissingField', 'InvalidField'].includes(err.code)
          ? 'badFrame'
          : 'badMessage';
      try {
        this.connection.send({
          type: 'error',
          id: 0,
          code,
          message: truncateUtf8(reason, MAX_ERROR_MESSAGE_BYTES),
        });
      } catch {
        // the socket is already gone; nothing left to tell
      }
    }
    this.connection.close(reason);
  }

  /** One timer per session, re-armed in place at every heartbeat rather than re-made. */
  private armTimeout(ms: number, reason: string): void {
    this.timeoutReason = reason;
    if (this.heartbeatTimer && this.timeoutMs === ms) {
      this.heartbeatTimer.refresh();
      return;
    }
    clearTimeout(this.heartbeatTimer);
    this.timeoutMs = ms;
    this.heartbeatTimer = setTimeout(() => {
      const why = this.timeoutReason;
      this.log.warn({ reason: why, ms: this.timeoutMs }, 'device went quiet');
      if (this.hello)
        this.background(this.controlPlane.reportDevice(this.device, { phase: 'Unreachable' }));
      this.connection.destroy(why);
    }, ms);
    this.heartbeatTimer.unref();
  }

  private ended(reason: string): void {
    clearTimeout(this.heartbeatTimer);
    if (this.hello && reason !== 'heartbeat timeout') {
      this.background(this.controlPlane.reportDevice(this.device, { phase: 'Disconnected' }));
    }
    this.onEnd(this, reason);
  }
}
