import { ProtocolError } from './errors';
import { MAX_CBOR_DEPTH } from './limits';

/**
 * The protocol's data model (docs/protocol.md §3, "Encoding") and nothing else: unsigned and
 * negative integers within ±(2^53 − 1), definite-length byte strings and UTF-8 text strings,
 * definite-length arrays and maps (keys: unsigned integers, or text in a config map), true,
 * false, and float64 for numbers that are not safe integers. No tags of any number (so no
 * shared values, records or dates), no null, undefined or other simple values, no indefinite
 * lengths, no float16/float32, at most MAX_CBOR_DEPTH levels of nesting.
 *
 * The decoder below is hand-written for exactly that model rather than a general CBOR library
 * with the extras filtered out afterwards: a general decoder builds what the extensions
 * describe (a value containing itself, a RegExp from peer text) before any filter runs. The C
 * codec (firmware/protocol/src/cbor.c) accepts the same model; both are held to the golden
 * vectors in test/vectors/protocol.
 *
 * One value has exactly one encoding (shortest heads, sorted unique keys, float64 only for
 * non-integral numbers), so the decoder checks canonical form by re-encoding and comparing.
 */
export type CborValue =
  number | string | boolean | Uint8Array | CborValue[] | Map<number | string, CborValue>;

/**
 * Decodes one payload. Anything outside the data model, or not exactly one item, is
 * MalformedCbor; a value of the model in another than its canonical encoding is
 * NonCanonicalEncoding. Nothing else is thrown, whatever the bytes.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new StrictReader(bytes);
  const value = reader.item(0, false);
  if (reader.pos !== bytes.length) {
    throw new ProtocolError(
      'MalformedCbor',
      `${bytes.length - reader.pos} bytes after the item, which ends at byte ${reader.pos}`,
    );
  }
  const canonical = encodeCbor(value);
  if (!equalBytes(canonical, bytes)) {
    throw new ProtocolError(
      'NonCanonicalEncoding',
      'payload is not in the canonical encoding (shortest integers, sorted unique keys, float64 only for fractions, valid UTF-8)',
    );
  }
  return value;
}

// The only bytes a major-type-7 head may be: false, true, float64. Everything else of major 7
// (null, undefined, simple values, float16/32, break) is outside the model.
const FALSE = 0xf4;
const TRUE = 0xf5;
const FLOAT64 = 0xfb;
const TWO_POW_32 = 0x1_0000_0000;

// fatal: invalid UTF-8 throws (TypeError) instead of turning into U+FFFD silently.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

class StrictReader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private malformed(what: string, at = this.pos): never {
    throw new ProtocolError('MalformedCbor', `${what} at byte ${at}`);
  }

  private get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** The argument of a head with additional information `ai` (0..27), as a safe number. */
  private argument(ai: number, start: number): number {
    if (ai < 24) return ai;
    if (ai > 27) this.malformed(`additional information ${ai} (indefinite or reserved)`, start);
    const size = 1 << (ai - 24);
    if (this.remaining < size) this.malformed('head cut short', start);
    const at = this.pos;
    this.pos += size;
    switch (size) {
      case 1:
        return this.view.getUint8(at);
      case 2:
        return this.view.getUint16(at);
      case 4:
        return this.view.getUint32(at);
      default: {
        const hi = this.view.getUint32(at);
        const lo = this.view.getUint32(at + 4);
        // Above 2^53 − 1 a number is not exact: such an argument is refused, whatever it counts.
        if (hi > 0x1f_ffff) this.malformed('integer or length beyond 2^53 - 1', start);
        return hi * TWO_POW_32 + lo;
      }
    }
  }

  /** One item; `asKey` limits it to what a map key may be (an unsigned integer or text). */
  item(depth: number, asKey: boolean): CborValue {
    // An explicit bound, so nesting can never reach the JavaScript stack limit (RangeError).
    if (depth > MAX_CBOR_DEPTH) this.malformed(`nesting deeper than ${MAX_CBOR_DEPTH}`);
    if (this.remaining < 1) this.malformed('payload ends where an item was expected');
    const start = this.pos;
    const initial = this.bytes[this.pos++]!;
    const major = initial >> 5;
    const ai = initial & 0x1f;
    if (asKey && major !== 0 && major !== 3) {
      this.malformed(`map key of major type ${major} (keys are unsigned integers or text)`, start);
    }
    switch (major) {
      case 0:
        return this.argument(ai, start);
      case 1: {
        const n = this.argument(ai, start);
        if (n === Number.MAX_SAFE_INTEGER) this.malformed('integer beyond -(2^53 - 1)', start);
        return -1 - n;
      }
      case 2:
      case 3: {
        const length = this.argument(ai, start);
        // Checked before the bytes are touched: a declared length is only a claim.
        if (length > this.remaining) {
          this.malformed(`string of ${length} bytes, only ${this.remaining} left`, start);
        }
        const content = this.bytes.subarray(this.pos, this.pos + length);
        this.pos += length;
        return major === 2 ? content : this.text(content);
      }
      case 4: {
        const count = this.argument(ai, start);
        // Every item takes at least one byte: a count beyond the rest is refused before an
        // array of that size exists.
        if (count > this.remaining) {
          this.malformed(`array of ${count} items, only ${this.remaining} bytes left`, start);
        }
        const out: CborValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.item(depth + 1, false));
        return out;
      }
      case 5: {
        const count = this.argument(ai, start);
        if (count > this.remaining / 2) {
          this.malformed(`map of ${count} pairs, only ${this.remaining} bytes left`, start);
        }
        const out = new Map<number | string, CborValue>();
        for (let i = 0; i < count; i++) {
          const key = this.item(depth + 1, true) as number | string;
          // A duplicate key overwrites here; the canonical check then refuses the payload.
          out.set(key, this.item(depth + 1, false));
        }
        return out;
      }
      case 6:
        return this.malformed(`tag (major type 6): the protocol uses no tags`, start);
      default:
        return this.simple(initial, start);
    }
  }

  private simple(initial: number, start: number): CborValue {
    if (initial === FALSE) return false;
    if (initial === TRUE) return true;
    if (initial !== FLOAT64) {
      this.malformed(
        `major type 7 item 0x${initial.toString(16)} (only false, true and float64 occur)`,
        start,
      );
    }
    if (this.remaining < 8) this.malformed('float64 cut short', start);
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isFinite(value)) this.malformed('NaN or infinity', start);
    return value;
  }

  private text(content: Uint8Array): string {
    try {
      return strictUtf8.decode(content);
    } catch {
      // Not UTF-8: U+FFFD cannot re-encode to these bytes, so the canonical check refuses the
      // payload. Reading on instead of refusing here lets a malformed item anywhere in the
      // payload take precedence, as in the C codec.
      return lenientUtf8.decode(content);
    }
  }
}

export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  write(value, out);
  return Uint8Array.from(out);
}

function head(major: number, n: number, out: number[]): void {
  const m = major << 5;
  if (n < 24) out.push(m | n);
  else if (n < 0x100) out.push(m | 24, n);
  else if (n < 0x10000) out.push(m | 25, n >> 8, n & 0xff);
  else if (n < 0x100000000)
    out.push(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  else {
    const hi = Math.floor(n / 0x100000000);
    const lo = n >>> 0;
    out.push(m | 27, (hi >>> 24) & 0xff, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff);
    out.push((lo >>> 24) & 0xff, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
  }
}

const utf8 = new TextEncoder();

function compareKeys(a: [number | string, CborValue], b: [number | string, CborValue]): number {
  const [ka, kb] = [a[0], b[0]];
  if (typeof ka === 'number' && typeof kb === 'number') return ka - kb;
  if (typeof ka === 'number') return -1;
  if (typeof kb === 'number') return 1;
  // Bytewise order of the encoded keys: shorter first, then lexicographic (RFC 8949 §4.2.1).
  const ea = encodeCbor(ka);
  const eb = encodeCbor(kb);
  if (ea.length !== eb.length) return ea.length - eb.length;
  for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return 0;
}

/** The encoder writes the same data model the decoder reads, in its one canonical encoding. */
function write(value: CborValue, out: number[]): void {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      if (value >= 0) head(0, value, out);
      else head(1, -1 - value, out);
    } else {
      if (!Number.isFinite(value))
        throw new ProtocolError('InvalidField', 'NaN and infinities cannot be sent');
      const buf = new DataView(new ArrayBuffer(8));
      buf.setFloat64(0, value);
      out.push(0xfb, ...new Uint8Array(buf.buffer));
    }
  } else if (typeof value === 'string') {
    const bytes = utf8.encode(value);
    head(3, bytes.length, out);
    for (const b of bytes) out.push(b);
  } else if (typeof value === 'boolean') {
    out.push(value ? 0xf5 : 0xf4);
  } else if (value instanceof Uint8Array) {
    head(2, value.length, out);
    for (const b of value) out.push(b);
  } else if (Array.isArray(value)) {
    head(4, value.length, out);
    for (const item of value) write(item, out);
  } else {
    const entries = [...value.entries()].sort(compareKeys);
    head(5, entries.length, out);
    for (const [k, v] of entries) {
      write(k, out);
      write(v, out);
    }
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
