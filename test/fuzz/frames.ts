/**
 * Input generators of the gateway network fuzzer: valid messages from the catalogue, the same
 * mutated, and CBOR well beyond the protocol's data model (every major type, every tag form,
 * simple values, floats of every width, indefinite lengths, deep nesting, lying lengths).
 * Everything comes from one seeded generator: runs differ by seed, though the interleaving of
 * connections (and so which input a shared generator gives which one) varies with timing.
 */
import {
  encodeCbor,
  encodeMessage,
  HOST_API_V1,
  MAX_CBOR_DEPTH,
  MAX_FRAME_BYTES,
  MESSAGES,
  type FieldDef,
  type FieldType,
  type Message,
} from '@wasmbed/gateway';

/** mulberry32: small, fast, and enough to spread inputs; not for anything secret. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const u8 = (...b: number[]) => Uint8Array.from(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A head of major type `major` with argument `n` in the given width (0: in the initial byte). */
function head(major: number, n: bigint, width: 0 | 1 | 2 | 4 | 8): Uint8Array {
  const m = major << 5;
  if (width === 0) return u8(m | Number(n & 0x1fn));
  const ai = { 1: 24, 2: 25, 4: 26, 8: 27 }[width];
  const out = new Uint8Array(1 + width);
  out[0] = m | ai;
  for (let i = 0; i < width; i++) out[width - i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Tag numbers by class: one-byte forms, 24/25/26/27-byte-argument forms, cbor-x's favourites. */
const TAGS: [bigint, 0 | 1 | 2 | 4 | 8][] = [
  ...Array.from({ length: 24 }, (_, i) => [BigInt(i), 0] as [bigint, 0]),
  [24n, 1],
  [25n, 1],
  [26n, 1],
  [27n, 1], // object with constructor: cbor-x builds a RegExp, Error, ... from ["Name", ...]
  [28n, 1], // shareable
  [29n, 1], // shared reference
  [32n, 1],
  [64n, 1],
  [255n, 1],
  [258n, 2], // set
  [259n, 2], // map
  [0xe000n, 2], // cbor-x records
  [55799n, 2], // self-described CBOR
  [65536n, 4],
  [0xffffffffn, 4],
  [0x100000000n, 8],
  [0xffffffffffffffffn, 8],
];

export class FrameGenerator {
  /**
   * `names`: device names worth naming in messages (registered devices, live ones included),
   * so enrolls and renewals reach the token and certificate checks, not only the name check.
   */
  constructor(
    private readonly rng: Rng,
    private readonly names: readonly string[] = [],
  ) {}

  /** One CBOR item of any kind, within or (mostly) beyond the protocol's data model. */
  item(depth = 0): Uint8Array {
    const r = this.rng;
    const leaf = depth > 6 || r.chance(0.35);
    const kind = leaf ? r.int(9) : r.int(17);
    switch (kind) {
      case 0: // integers of every width, including non-shortest and beyond 2^53
        return head(r.int(2), this.bigArg(), r.pick([0, 1, 2, 4, 8] as const));
      case 1: // simple values, floats of every width, break
        return r.pick([
          u8(0xf4),
          u8(0xf5),
          u8(0xf6),
          u8(0xf7),
          u8(0xf0 | r.int(4)),
          u8(0xf8, r.int(256)),
          u8(0xf9, r.int(256), r.int(256)),
          u8(0xfa, ...r.bytes(4)),
          u8(0xfb, ...r.bytes(8)),
          u8(0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0),
          u8(0xfc + r.int(4)),
        ]);
      case 2: // text: short, long, valid and invalid UTF-8, lengths that lie
        return this.text();
      case 3: // byte strings, lengths that lie
        return this.byteString();
      case 4: // reserved additional information on any major type
        return u8((r.int(8) << 5) | r.range(28, 30));
      case 5:
        return this.sharedValue();
      case 6:
        return this.regExp();
      case 7: // huge declared lengths and counts
        return concat([
          head(r.range(2, 5), this.bigArg(true), r.pick([4, 8] as const)),
          r.bytes(r.int(4)),
        ]);
      case 8: // deep nesting, up to well past the decoders' limit
        return concat([
          new Uint8Array(r.range(MAX_CBOR_DEPTH - 2, 64)).fill(r.pick([0x81, 0x9f])),
          u8(0),
        ]);
      case 9:
      case 10: {
        // a tag of any class wrapping any item
        const [n, width] = r.pick(TAGS);
        return concat([head(6, n, width), this.item(depth + 1)]);
      }
      case 11:
      case 12: {
        const n = r.int(5);
        const items = Array.from({ length: n }, () => this.item(depth + 1));
        if (r.chance(0.2)) return concat([u8(0x9f), ...items, u8(0xff)]);
        return concat([head(4, BigInt(n), 0), ...items]);
      }
      case 13:
      case 14: {
        const n = r.int(4);
        const pairs = Array.from({ length: n }, () => [this.key(depth + 1), this.item(depth + 1)]);
        if (r.chance(0.2)) return concat([u8(0xbf), ...pairs.flat(), u8(0xff)]);
        return concat([head(5, BigInt(n), 0), ...pairs.flat()]);
      }
      case 15: // indefinite strings made of chunks
        return concat([u8(r.chance(0.5) ? 0x5f : 0x7f), this.text(), this.byteString(), u8(0xff)]);
      default:
        return r.bytes(r.int(12));
    }
  }

  private key(depth: number): Uint8Array {
    return this.rng.chance(0.7) ? head(0, BigInt(this.rng.int(40)), 0) : this.item(depth);
  }

  private bigArg(huge = false): bigint {
    const r = this.rng;
    return r.pick(
      huge
        ? [
            0xffffffffn,
            0x7fffffffn,
            0x1fffffffffffffn,
            0xfffffffffffffff4n,
            0xffffffffffffffffn,
            BigInt(MAX_FRAME_BYTES + 1),
          ]
        : [
            BigInt(r.int(24)),
            BigInt(r.int(256)),
            BigInt(r.int(65536)),
            0x1fffffffffffffn,
            0x20000000000000n,
            0xffffffffffffffffn,
          ],
    );
  }

  private text(): Uint8Array {
    const r = this.rng;
    const content = r.pick([
      () => utf8('é'.repeat(r.range(100, 300))),
      () => utf8('😀'.repeat(r.range(60, 100))),
      () => utf8('x'.repeat(r.range(0, 300))),
      () => u8(0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80),
      () => r.bytes(r.int(20)),
    ])();
    const declared = r.chance(0.85) ? content.length : content.length + r.range(1, 1000);
    return concat([head(3, BigInt(declared), declared < 24 ? 0 : declared < 256 ? 1 : 2), content]);
  }

  private byteString(): Uint8Array {
    const r = this.rng;
    const content = r.bytes(r.int(40));
    const declared = r.chance(0.85) ? content.length : content.length + r.range(1, 5000);
    return concat([head(2, BigInt(declared), declared < 24 ? 0 : declared < 256 ? 1 : 2), content]);
  }

  /** Tag 28 around an array holding tag-29 references to it: the G1 shape and its relatives. */
  sharedValue(): Uint8Array {
    const r = this.rng;
    const refs = Array.from({ length: r.range(1, 3) }, () => u8(0xd8, 0x1d, r.int(3)));
    const holder = r.chance(0.5)
      ? concat([head(4, BigInt(refs.length), 0), ...refs])
      : concat([head(5, BigInt(refs.length), 0), ...refs.flatMap((x, i) => [u8(i), x])]);
    return concat([u8(0xd8, 0x1c), holder]);
  }

  /** Tag 27 ["RegExp" | "Error" | ..., peer text]: cbor-x built such objects from peer bytes. */
  regExp(): Uint8Array {
    const r = this.rng;
    const ctor = utf8(r.pick(['RegExp', 'Error', 'TypeError', 'Date', 'Set', 'Map', 'Object']));
    const text = utf8('é'.repeat(r.range(1, 300)) + r.pick(['(', '[', '\\', ')', '*']));
    return concat([
      u8(0xd8, 0x1b, 0x82),
      head(3, BigInt(ctor.length), 0),
      ctor,
      head(3, BigInt(text.length), 2),
      text,
    ]);
  }

  /** A message of a type the sender may send (any type when `anyDirection`), valid, encoded. */
  validMessage(anyDirection = true): Uint8Array {
    const r = this.rng;
    for (;;) {
      const defs = MESSAGES.filter(d => anyDirection || d.direction !== 'gateway-to-device');
      const def = r.pick(defs);
      const fields = this.struct(def.fields);
      try {
        return encodeMessage({ type: def.name, id: r.int(2 ** 32), ...fields } as Message);
      } catch {
        // too large for one frame: pick again
      }
    }
  }

  /** A valid message with 1-6 byte-level edits, or an item spliced in. */
  mutated(payload: Uint8Array): Uint8Array {
    const r = this.rng;
    const bytes = [...payload];
    const edits = r.range(1, 6);
    for (let e = 0; e < edits; e++) {
      const at = r.int(bytes.length + 1);
      switch (r.int(6)) {
        case 0:
          bytes[at] = r.int(256);
          break;
        case 1:
          bytes[at] = (bytes[at] ?? 0) ^ (1 << r.int(8));
          break;
        case 2:
          bytes.splice(at, 0, r.int(256));
          break;
        case 3:
          bytes.splice(at, 1);
          break;
        case 4:
          bytes.splice(at, 0, ...this.item(2));
          break;
        default:
          bytes.length = at;
      }
    }
    return Uint8Array.from(bytes.slice(0, MAX_FRAME_BYTES));
  }

  /**
   * One frame's worth of payload, from every family: valid, mutated, valid message with a
   * foreign item in an extension field, bare foreign item, random bytes.
   */
  payload(): Uint8Array {
    const r = this.rng;
    switch (r.int(8)) {
      case 0:
        return this.validMessage();
      case 1:
      case 2:
        return this.mutated(this.validMessage());
      case 3: {
        // heartbeat {0: 5, 1: id, 2: uptime, 32: item}: the item gets past the envelope checks
        const base = encodeCbor(
          new Map<number, number>([
            [0, 5],
            [1, r.int(1000)],
            [2, r.int(1e6)],
          ]),
        );
        return concat([u8(0xa4), base.subarray(1), u8(0x18, 0x20), this.item(1)]);
      }
      case 4: {
        // a log message whose text is the item (text and beyond)
        return concat([u8(0xa4, 0x00, 0x12, 0x01, 0x01, 0x02, 0x01, 0x03), this.item(1)]);
      }
      case 5:
        return this.item();
      case 6:
        return r.pick([
          u8(0xd8, 0x1c, 0x81, 0xd8, 0x1d, 0x00), // the G1 frame's payload
          this.regExp(),
          this.sharedValue(),
          concat([new Uint8Array(4000).fill(0x81), u8(0)]),
        ]);
      default:
        return r.bytes(r.range(1, 64));
    }
  }

  /** Frames as sent: mostly with a true length, else lying, oversized, zero or truncated. */
  frame(payload: Uint8Array): Uint8Array {
    const r = this.rng;
    const declared = r.pick([
      payload.length,
      payload.length,
      payload.length,
      payload.length,
      payload.length,
      payload.length + r.range(1, 100),
      Math.max(0, payload.length - r.range(1, 4)),
      0,
      MAX_FRAME_BYTES,
      MAX_FRAME_BYTES + 1,
      0xffffffff,
    ]);
    const out = new Uint8Array(4 + payload.length);
    new DataView(out.buffer).setUint32(0, declared);
    out.set(payload, 4);
    return r.chance(0.05) ? out.subarray(0, r.int(out.length)) : out;
  }

  /** A valid hello for a device of this board. */
  hello(id = 1): Uint8Array {
    return encodeMessage({
      type: 'hello',
      id,
      protocolVersion: 1,
      firmwareVersion: 'fuzz-0.1',
      board: 'mps2-an385',
      capabilities: {
        hostApiVersion: 1,
        memoryBytes: 262144,
        maxModuleBytes: 65536,
        maxApps: 4,
        hostFunctions: [...HOST_API_V1],
      },
      apps: [],
    });
  }

  private struct(fields: readonly FieldDef[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.optional && this.rng.chance(0.5)) continue;
      out[f.name] = this.value(f.type);
    }
    return out;
  }

  private value(type: FieldType): unknown {
    const r = this.rng;
    switch (type.kind) {
      case 'uint':
        return r.chance(0.8) ? r.int(Math.min(type.max, 1e6) + 1) : type.max;
      case 'number':
        return r.pick([0, -1, 21.5, 1e300, -123456789, Number.MAX_SAFE_INTEGER]);
      case 'bool':
        return r.chance(0.5);
      case 'text': {
        if (type.pattern) {
          const name = this.names.length > 0 && r.chance(0.5) ? r.pick(this.names) : undefined;
          if (name !== undefined && type.pattern.test(name)) return name;
          const candidates = ['a', 'dev-1', 'fuzz.app', 'x'.repeat(63), ...HOST_API_V1];
          return (
            candidates.find(c => type.pattern!.test(c) && utf8(c).length <= type.maxBytes) ?? 'a'
          );
        }
        const unit = r.pick(['x', 'é', '😀']);
        const n = r.int(Math.floor(type.maxBytes / utf8(unit).length) + 1);
        const s = unit.repeat(n);
        return utf8(s).length >= (type.minBytes ?? 0) ? s : 'x'.repeat(type.minBytes ?? 0);
      }
      case 'bytes':
        return r.bytes(r.range(type.minBytes ?? 0, Math.min(type.maxBytes, 300)));
      case 'enum':
        return r.pick(type.values);
      case 'textMap':
        return Object.fromEntries(
          Array.from({ length: r.int(type.maxEntries + 1) }, (_, i) => [
            `k${i}`,
            'v'.repeat(r.int(type.maxValueBytes + 1)),
          ]),
        );
      case 'list':
        return Array.from({ length: r.int(Math.min(type.maxItems, 4) + 1) }, () =>
          this.value(type.of),
        );
      case 'struct':
        return this.struct(type.fields);
    }
  }
}
