import { Decoder } from 'cbor-x';
import { ProtocolError } from './errors';

/**
 * The CBOR subset of the protocol and its one encoding (docs/protocol.md, "Encoding"):
 * unsigned and negative integers in shortest form, definite-length byte and text strings,
 * arrays and maps, true/false, and float64 for non-integral numbers. Map keys are unsigned
 * integers in ascending order, or text in a config map, sorted bytewise. One value has exactly
 * one encoding, so receivers can reject anything else by re-encoding and comparing.
 */
export type CborValue =
  number | string | boolean | Uint8Array | CborValue[] | Map<number | string, CborValue>;

const decoder = new Decoder({
  mapsAsObjects: false,
  useRecords: false,
  useTag259ForMaps: false,
} as never);

export function decodeCbor(bytes: Uint8Array): CborValue {
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (err) {
    throw new ProtocolError('MalformedCbor', (err as Error).message);
  }
  const normalized = normalize(value);
  const canonical = encodeCbor(normalized);
  if (!equalBytes(canonical, bytes)) {
    throw new ProtocolError(
      'NonCanonicalEncoding',
      'payload is not in the canonical encoding (shortest integers, definite lengths, sorted unique keys, float64 for fractions)',
    );
  }
  return normalized;
}

/** Checks the decoded value uses only the protocol's CBOR subset. */
function normalize(value: unknown): CborValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ProtocolError('MalformedCbor', 'NaN and infinities are not allowed');
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Map) {
    const out = new Map<number | string, CborValue>();
    for (const [k, v] of value) {
      if (!(
        typeof k === 'string' ||
        (typeof k === 'number' && Number.isSafeInteger(k) && k >= 0)
      )) {
        throw new ProtocolError('MalformedCbor', 'map keys must be unsigned integers or text');
      }
      out.set(k, normalize(v));
    }
    return out;
  }
  if (typeof value === 'bigint') {
    // cbor-x hands every 8-byte integer over as a bigint; inside 2^53 it is an ordinary number.
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError('MalformedCbor', 'integer out of the safe range (2^53)');
    }
    return Number(value);
  }
  throw new ProtocolError(
    'MalformedCbor',
    `CBOR item of a kind the protocol does not use (${describe(value)})`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return (value as object).constructor?.name ?? typeof value;
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
