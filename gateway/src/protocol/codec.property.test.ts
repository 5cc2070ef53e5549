import fc from 'fast-check';
import { decodeFrame, decodeMessage, encodeFrame, encodeMessage } from './codec';
import { ProtocolError } from './errors';
import { MESSAGES, type Message } from './messages';
import type { FieldDef, FieldType } from './schema';

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

function arbitraryOf(type: FieldType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'uint':
      return fc.integer({ min: 0, max: Math.min(type.max, Number.MAX_SAFE_INTEGER) });
    case 'number':
      return fc.oneof(
        fc.maxSafeInteger(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(d => (Object.is(d, -0) ? 0 : d)),
      );
    case 'bool':
      return fc.boolean();
    case 'text': {
      const base = type.pattern
        ? fc.stringMatching(type.pattern)
        : fc.string({ unit: 'binary', maxLength: type.maxBytes });
      return base.filter(
        s => utf8Length(s) <= type.maxBytes && utf8Length(s) >= (type.minBytes ?? 0),
      );
    }
    case 'bytes':
      return fc.uint8Array({ minLength: type.minBytes ?? 0, maxLength: type.maxBytes });
    case 'enum':
      return fc.constantFrom(...type.values);
    case 'textMap':
      return fc.dictionary(
        fc
          .string({ minLength: 1, maxLength: type.maxKeyBytes })
          .filter(k => utf8Length(k) <= type.maxKeyBytes && k !== '__proto__'),
        fc
          .string({ maxLength: type.maxValueBytes })
          .filter(v => utf8Length(v) <= type.maxValueBytes),
        { maxKeys: type.maxEntries },
      );
    case 'list':
      return fc.array(arbitraryOf(type.of), { maxLength: Math.min(type.maxItems, 3) });
    case 'struct':
      return structOf(type.fields);
  }
}

function structOf(fields: readonly FieldDef[]) {
  const model = Object.fromEntries(fields.map(f => [f.name, arbitraryOf(f.type)]));
  return fc.record(model, { requiredKeys: fields.filter(f => !f.optional).map(f => f.name) });
}

const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  ...MESSAGES.map(def =>
    fc
      .tuple(structOf(def.fields), fc.integer({ min: 0, max: 0xffffffff }))
      .map(([fields, id]) => ({ type: def.name, id, ...(fields as object) }) as Message),
  ),
);

/** Encoding may refuse a random message only because it does not fit in one frame. */
function encodeIfFits(message: Message): Uint8Array | undefined {
  try {
    return encodeFrame(message);
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'FrameTooLarge') return undefined;
    throw err;
  }
}

/** decodeMessage's contract: a message, or a ProtocolError; never any other exception. */
function decodeMessageOrProtocolError(payload: Uint8Array): void {
  try {
    decodeMessage(payload);
  } catch (err) {
    if (!(err instanceof ProtocolError))
      throw new Error(`decodeMessage threw a foreign error: ${String(err)}`);
  }
}

const byteHex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');

/** A head of any major type in any of its forms, including the reserved and indefinite ones. */
const anyHead = (major: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.integer({ min: 0, max: 23 }).map(ai => byteHex((major << 5) | ai, 1)),
    fc.integer({ min: 0, max: 0xff }).map(n => byteHex((major << 5) | 24, 1) + byteHex(n, 1)),
    fc.integer({ min: 0, max: 0xffff }).map(n => byteHex((major << 5) | 25, 1) + byteHex(n, 2)),
    fc.nat().map(n => byteHex((major << 5) | 26, 1) + byteHex(n, 4)),
    fc
      .bigInt({ min: 0n, max: 2n ** 64n - 1n })
      .map(n => byteHex((major << 5) | 27, 1) + n.toString(16).padStart(16, '0')),
    fc.integer({ min: 28, max: 31 }).map(ai => byteHex((major << 5) | ai, 1)),
  );

/**
 * CBOR-shaped input beyond the data model: every major type, every tag form (28/29 shared
 * values, 27, 55799, big tags), simple values, floats of every width, indefinite lengths,
 * nesting past the limit, and items whose declared lengths lie.
 */
const cborSoup: fc.Arbitrary<string> = fc.letrec<{ item: string }>(tie => ({
  item: fc.oneof(
    { depthSize: 'small', maxDepth: 24 },
    fc.integer({ min: 0, max: 7 }).chain(anyHead),
    fc.constantFrom(
      'd81c',
      'd81d',
      'd81b',
      'd9d9f7',
      'd90103',
      'dbffffffffffffffff',
      'c1',
      'd7',
      'd818',
    ),
    fc.constantFrom(
      'f4',
      'f5',
      'f6',
      'f7',
      'f0',
      'f814',
      'f93c00',
      'fa3fc00000',
      'fb3ff8000000000000',
      'fb7ff8000000000000',
      'ff',
    ),
    fc.tuple(anyHead(6), tie('item')).map(([t, x]) => t + x),
    // cbor-x's extensions by shape: shared values (28) holding references (29) to themselves,
    // a RegExp (27) from peer text.
    fc
      .array(
        fc.oneof(
          tie('item'),
          fc.nat(3).map(k => 'd81d' + byteHex(k, 1)),
        ),
        { maxLength: 3 },
      )
      .map(xs => 'd81c' + byteHex(0x80 | xs.length, 1) + xs.join('')),
    fc.nat(3).map(k => 'd81d' + byteHex(k, 1)),
    fc.string({ maxLength: 20 }).map(t => {
      const b = Buffer.from(t + '(', 'utf8');
      return 'd81b82665265674578' + byteHex(0x78, 1) + byteHex(b.length, 1) + b.toString('hex');
    }),
    fc.array(tie('item'), { maxLength: 4 }).map(xs => byteHex(0x80 | xs.length, 1) + xs.join('')),
    fc.array(tie('item'), { maxLength: 4 }).map(xs => '9f' + xs.join('') + 'ff'),
    fc
      .array(fc.tuple(tie('item'), tie('item')), { maxLength: 3 })
      .map(ps => byteHex(0xa0 | ps.length, 1) + ps.map(([k, v]) => k + v).join('')),
    fc.string({ unit: 'binary', maxLength: 40 }).map(t => {
      const b = Buffer.from(t, 'utf8');
      return byteHex(0x78, 1) + byteHex(Math.min(b.length, 255), 1) + b.toString('hex');
    }),
    fc.integer({ min: 1, max: 40 }).map(depth => '81'.repeat(depth) + '00'),
  ),
})).item;

function decodeOrProtocolError(bytes: Uint8Array): void {
  try {
    decodeFrame(bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError))
      throw new Error(`codec threw a foreign error: ${String(err)}`);
  }
}

describe('codec properties', () => {
  it('round-trips every valid message, byte for byte', () => {
    fc.assert(
      fc.property(anyMessage, message => {
        const frame = encodeIfFits(message);
        fc.pre(frame !== undefined);
        const decoded = decodeFrame(frame!);
        expect(decoded).toEqual(message);
        expect(encodeFrame(decoded)).toEqual(frame);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but ProtocolError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodeOrProtocolError), {
      numRuns: 5000,
    });
  });

  it('never throws anything but ProtocolError on random payloads behind a correct length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), payload => {
        const frame = new Uint8Array(4 + payload.length);
        new DataView(frame.buffer).setUint32(0, payload.length);
        frame.set(payload, 4);
        decodeOrProtocolError(frame);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws anything but ProtocolError on mutated valid frames', () => {
    fc.assert(
      fc.property(
        anyMessage,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (message, edits) => {
          const frame = encodeIfFits(message);
          fc.pre(frame !== undefined);
          const mutated = Uint8Array.from(frame!);
          for (const [at, value] of edits) mutated[4 + (at % (mutated.length - 4))] = value;
          decodeOrProtocolError(mutated);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('decodeMessage never throws anything but ProtocolError on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodeMessageOrProtocolError), {
      numRuns: 5000,
    });
  });

  it('decodeMessage never throws anything but ProtocolError on CBOR beyond the data model', () => {
    fc.assert(
      fc.property(cborSoup, fc.boolean(), (item, wrapInMessage) => {
        // Alone, and as an extension field of a valid heartbeat, so it gets past the envelope.
        const hex = wrapInMessage ? 'a4 00 05 01 01 02 01 18 20'.replace(/ /g, '') + item : item;
        decodeMessageOrProtocolError(new Uint8Array(Buffer.from(hex, 'hex')));
      }),
      { numRuns: 10000 },
    );
  });

  it('decodeMessage never throws anything but ProtocolError on mutated valid payloads', () => {
    fc.assert(
      fc.property(
        anyMessage,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(3)), {
          minLength: 1,
          maxLength: 6,
        }),
        (message, edits) => {
          let payload: Uint8Array;
          try {
            payload = encodeMessage(message);
          } catch {
            return fc.pre(false);
          }
          const bytes = [...payload];
          for (const [at, value, how] of edits) {
            const i = at % (bytes.length + 1);
            if (how === 0)
              bytes[i] = value; // overwrite
            else if (how === 1)
              bytes.splice(i, 0, value); // insert
            else if (how === 2)
              bytes.splice(i, 1); // delete
            else bytes.length = i; // truncate
          }
          decodeMessageOrProtocolError(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
