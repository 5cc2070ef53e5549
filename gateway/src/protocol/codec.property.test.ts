import fc from 'fast-check';
import { decodeFrame, encodeFrame } from './codec';
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
});
