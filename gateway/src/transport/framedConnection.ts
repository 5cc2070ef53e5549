import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { encodeFrame } from '../protocol/codec';
import { ProtocolError } from '../protocol/errors';
import { FrameReader, type FrameResult } from '../protocol/frameReader';
import type { Message, MessageName, MessageOf } from '../protocol/messages';

export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly reply?: MessageOf<'error'>,
  ) {
    super(message);
  }
}

interface Pending {
  expect: readonly MessageName[];
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface FramedConnectionEvents {
  message: [Message];
  protocolError: [ProtocolError];
  close: [string];
}

export interface FramedConnectionOptions {
  requestTimeoutMs?: number;
  /**
   * Output bytes the socket may hold queued before the peer is cut off. A peer that stops
   * reading would otherwise make every reply (heartbeat acks, errors) pile up in our memory.
   */
  maxQueuedBytes?: number;
  /** Where a fault in our own handling of this peer is logged (shared, not per connection). */
  log?: Logger;
}

export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024;

/**
 * One protocol peer over a byte stream: frames out, frames in, answers matched to requests by
 * id and expected type (each side numbers its own requests, so an id alone could collide).
 *
 * Nothing a peer sends can end the process: every frame is handled inside a guard, listeners
 * are called through it, and an async listener's rejection is caught too (captureRejections).
 * Whatever escapes from handling one peer's bytes destroys that peer's connection, with the
 * reason logged, and nothing else.
 */
export class FramedConnection extends EventEmitter<FramedConnectionEvents> {
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private ids = 0;
  private closedReason: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly maxQueuedBytes: number;
  private readonly log: Logger | undefined;

  constructor(
    readonly socket: Duplex,
    options: FramedConnectionOptions | number = {},
  ) {
    super({ captureRejections: true });
    const o = typeof options === 'number' ? { requestTimeoutMs: options } : options;
    this.requestTimeoutMs = o.requestTimeoutMs ?? 15_000;
    this.maxQueuedBytes = o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.log = o.log;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', err => this.finish(`socket error: ${err.message}`));
    socket.on('close', () => this.finish('connection closed'));
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  nextId(): number {
    this.ids = (this.ids + 1) >>> 0;
    return this.ids;
  }

  /**
   * Sends a message; false when the socket's buffer is full (wait for drained()). A peer whose
   * unread output would pass maxQueuedBytes is destroyed instead (and false returned): it is
   * not reading, and what we would queue for it is memory it makes us hold.
   */
  send(message: Message): boolean {
    if (this.closedReason)
      throw new RequestError(`cannot send ${message.type}: ${this.closedReason}`);
    const frame = encodeFrame(message);
    if (this.socket.writableLength + frame.length > this.maxQueuedBytes) {
      const reason = `peer is not reading: ${this.socket.writableLength} bytes queued, limit ${this.maxQueuedBytes}`;
      this.log?.warn({ remote: this.remoteAddress, reason }, 'closing connection');
      this.destroy(reason);
      return false;
    }
    return this.socket.write(frame);
  }

  /** Bytes written but not yet taken by the kernel: what a slow reader costs us. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  get remoteAddress(): string | undefined {
    return (this.socket as { remoteAddress?: string }).remoteAddress;
  }

  /** Resolves once the socket has room again: back-pressure for bulk senders. */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = () => (cleanup(), resolve());
      const onClose = () => (
        cleanup(),
        reject(new RequestError(this.closedReason ?? 'connection closed'))
      );
      const cleanup = () => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
      };
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  /** Sends a request and waits for its answer; an `error` answer rejects. */
  request<N extends MessageName>(
    message: Message,
    expect: readonly N[],
    timeoutMs = this.requestTimeoutMs,
  ): Promise<MessageOf<N>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.id);
        reject(new RequestError(`no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(message.id, {
        expect,
        resolve: resolve as (m: Message) => void,
        reject,
        timer,
      });
      try {
        this.send(message);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(message.id);
        reject(err as Error);
      }
    });
  }

  /**
   * Ends the connection gracefully (what was sent is flushed), then destroys it after
   * `graceMs` whatever the peer does: a peer that never closes its side keeps no socket.
   */
  close(reason: string, graceMs = 1000): void {
    if (!this.closedReason) {
      this.socket.end();
      const socket = this.socket;
      setTimeout(() => socket.destroy(), graceMs).unref();
    }
    this.finish(reason);
  }

  destroy(reason: string): void {
    this.finish(reason);
    this.socket.destroy();
  }

  /** The socket's 'data' handler: nothing may escape it, or Node ends the process. */
  private receive(chunk: Buffer): void {
    try {
      this.handle(chunk);
    } catch (err) {
      this.fault(err, 'data');
    }
  }

  private handle(chunk: Buffer): void {
    if (this.closedReason) return;
    let results: FrameResult[];
    try {
      results = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.emit('protocolError', err);
      return;
    }
    for (const { message: m, error } of results) {
      if (this.closedReason) return;
      if (error) {
        this.emit('protocolError', error);
        continue;
      }
      const waiting = this.pending.get(m.id);
      if (waiting && (waiting.expect.includes(m.type as MessageName) || m.type === 'error')) {
        this.pending.delete(m.id);
        clearTimeout(waiting.timer);
        if (m.type === 'error') waiting.reject(new RequestError(`${m.code}: ${m.message}`, m));
        else waiting.resolve(m);
      } else {
        this.emit('message', m);
      }
    }
  }

  /** EventEmitter calls this when an async listener's promise rejects (captureRejections). */
  [Symbol.for('nodejs.rejection')](err: unknown, event: string): void {
    this.fault(err, event);
  }

  /** A defect in our handling of this peer: it costs the peer its connection, nothing more. */
  private fault(err: unknown, during: string): void {
    const message = err instanceof Error ? err.message : String(err);
    const reason = `internal error handling ${during}: ${message}`;
    this.log?.error(
      { remote: this.remoteAddress, reason, stack: (err as Error)?.stack },
      'closing connection after an internal error',
    );
    this.destroy(reason);
  }

  private finish(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(reason));
    }
    this.pending.clear();
    try {
      this.emit('close', reason);
    } catch (err) {
      this.fault(err, 'close');
    }
  }
}
