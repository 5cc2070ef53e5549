import { ProtocolError } from './errors';
import { decodeMessage } from './codec';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './limits';
import type { Message } from './messages';

/** One frame out of the stream: a message, or why its bytes were refused. */
export type FrameResult =
  { message: Message; error?: undefined } | { error: ProtocolError; message?: undefined };

/**
 * Cuts a byte stream (a TLS socket) into messages. A frame that fails to decode is reported
 * and skipped, since its length still delimits it; an oversized length breaks the stream and
 * throws as soon as its 4 header bytes arrive, so a peer cannot make us buffer more than one
 * maximum frame.
 */
// One empty buffer for every idle reader: thousands of sessions need not each hold their own.
const EMPTY = new Uint8Array(0);

export class FrameReader {
  private buffer: Uint8Array = EMPTY;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): FrameResult[] {
    this.buffer = this.buffer.length === 0 ? chunk : concat(this.buffer, chunk);
    const results: FrameResult[] = [];
    while (this.buffer.length >= FRAME_HEADER_BYTES) {
      const view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
      const length = view.getUint32(0);
      if (length > this.maxFrameBytes) {
        throw new ProtocolError(
          'FrameTooLarge',
          `declared length ${length} exceeds ${this.maxFrameBytes}`,
        );
      }
      if (this.buffer.length < FRAME_HEADER_BYTES + length) break;
      const payload = this.buffer.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      this.buffer = this.buffer.subarray(FRAME_HEADER_BYTES + length);
      try {
        results.push({ message: decodeMessage(payload) });
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        results.push({ error: err });
      }
    }
    if (this.buffer.length === 0) this.buffer = EMPTY;
    return results;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
