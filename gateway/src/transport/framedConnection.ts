import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
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

/**
 * One protocol peer over a byte stream: frames out, frames in, answers matched to requests by
 * id and expected type (each side numbers its own requests, so an id alone could collide).
 */
export class FramedConnection extends EventEmitter<FramedConnectionEvents> {
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private ids = 0;
  private closedReason: string | undefined;

  constructor(
    readonly socket: Duplex,
    private readonly requestTimeoutMs = 15_000,
  ) {
    super();
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

  /** Sends a message; false when the socket's buffer is full (wait for drained()). */
  send(message: Message): boolean {
    if (this.closedReason)
      throw new RequestError(`cannot send ${message.type}: ${this.closedReason}`);
    return this.socket.write(encodeFrame(message));
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

  close(reason: string): void {
    if (!this.closedReason) this.socket.end();
    this.finish(reason);
  }

  destroy(reason: string): void {
    this.finish(reason);
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let results: FrameResult[];
    try {
      results = this.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.emit('protocolError', err);
        return;
      }
      throw err;
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

  private finish(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(reason));
    }
    this.pending.clear();
    this.emit('close', reason);
  }
}
