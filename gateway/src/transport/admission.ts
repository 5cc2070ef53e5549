import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';

export interface AdmissionLimits {
  /** Open connections on one listener. */
  maxConnections: number;
  /** Open connections from one remote address, on one listener. */
  maxConnectionsPerAddress: number;
  /** Connections on one listener still in their TLS handshake. */
  maxHandshakes: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = {
  maxConnections: 20_000,
  maxConnectionsPerAddress: 64,
  maxHandshakes: 512,
};

// Set on the raw socket while its handshake runs; a symbol so no field clashes with Node's.
const HANDSHAKING = Symbol('handshaking');
const ADMISSION = Symbol('admission');
type RawSocket = net.Socket & { [HANDSHAKING]?: boolean; [ADMISSION]?: Admission };

/**
 * Admission control for one TLS listener: connections past a cap are destroyed as they
 * arrive, before TLS costs anything, each with a log line. Counts are kept per listener in
 * two maps and two numbers; nothing is allocated per connection but one shared 'close'
 * listener.
 */
export class Admission {
  private readonly perAddress = new Map<string, number>();
  private handshakes = 0;
  private open = 0;

  constructor(
    private readonly server: tls.Server,
    private readonly listener: string,
    readonly limits: AdmissionLimits,
    private readonly log: Logger,
    private readonly onRefused: (reason: string) => void = () => {},
  ) {
    // Registered after tls.Server's own 'connection' listener, which has already wrapped the
    // socket: destroying it here ends the wrapper too, before a byte of TLS is read.
    server.on('connection', socket => this.admit(socket));
    server.on('secureConnection', socket => this.handshakeDone(socket));
    server.on('tlsClientError', (_err, socket) => this.handshakeDone(socket));
  }

  get inFlightHandshakes(): number {
    return this.handshakes;
  }

  get openConnections(): number {
    return this.open;
  }

  private admit(socket: RawSocket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    const refusal =
      this.open >= this.limits.maxConnections
        ? `${this.limits.maxConnections} connections open on this listener`
        : fromAddress >= this.limits.maxConnectionsPerAddress
          ? `${this.limits.maxConnectionsPerAddress} connections open from ${address}`
          : this.handshakes >= this.limits.maxHandshakes
            ? `${this.limits.maxHandshakes} TLS handshakes in flight`
            : undefined;
    if (refusal) {
      this.log.warn(
        { listener: this.listener, remote: address, reason: refusal },
        'connection refused',
      );
      this.onRefused(refusal);
      socket.destroy();
      return;
    }
    this.open++;
    this.perAddress.set(address, fromAddress + 1);
    this.handshakes++;
    socket[HANDSHAKING] = true;
    socket[ADMISSION] = this;
    socket.once('close', released);
  }

  private handshakeDone(socket: tls.TLSSocket): void {
    // Node keeps the socket it wrapped as _parent; that is the one counted at 'connection'.
    const raw = (socket as unknown as { _parent?: RawSocket })._parent;
    if (raw?.[HANDSHAKING]) {
      raw[HANDSHAKING] = false;
      this.handshakes--;
    }
  }

  /** The socket has closed: what it counted is given back. */
  release(socket: RawSocket): void {
    if (socket[HANDSHAKING]) {
      socket[HANDSHAKING] = false;
      this.handshakes--;
    }
    this.open--;
    const address = socket.remoteAddress ?? 'unknown';
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.perAddress.set(address, n);
    else this.perAddress.delete(address);
  }
}

// One function for every socket (`this` is the socket): no closure per connection.
function released(this: RawSocket): void {
  this[ADMISSION]?.release(this);
}
