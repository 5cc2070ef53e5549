import { decode as cborgDecode } from 'cborg';
import fc from 'fast-check';
import { decodeCbor, encodeCbor, type CborValue } from './cbor';
import { decodeFrame } from './codec';
import { ProtocolError } from './errors';
import { FrameReader } from './frameReader';
import { MAX_CBOR_DEPTH } from './limits';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/ /g, ''), 'hex'));

function refusal(bytes: Uint8Array): ProtocolError {
  try {
    decodeCbor(bytes);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw new Error(`decoder threw a foreign error: ${String(err)}`);
  }
  throw new Error(`accepted ${Buffer.from(bytes).toString('hex')}`);
}

describe('strict CBOR decoder: only the protocol data model decodes', () => {
  it.each([
    ['the G1 frame: shared value 28 holding a reference 29 to itself', 'd81c81d81d00'],
    ['tag 28 (shareable) alone', 'd81c00'],
    ['tag 29 (shared reference)', 'd81d00'],
    [
      'tag 27 ["RegExp", pattern] (cbor-x builds a RegExp from it)',
      'd81b82665265674578706261c3a928',
    ],
    ['tag 0 wrapping text', 'c0 6161'],
    ['tag 1 wrapping an int', 'c1 1903e8'],
    ['tag 23 (one-byte form, largest)', 'd7 00'],
    ['tag 24 in a one-byte argument', 'd818 4100'],
    ['tag 258 (set) in a two-byte argument', 'd90102 80'],
    ['tag 55799 (self-described CBOR)', 'd9d9f7 a0'],
    ['tag in a four-byte argument', 'da00010000 00'],
    ['tag in an eight-byte argument', 'db0000000100000000 00'],
    ['tag 259 wrapping a map', 'd90103 a10000'],
    ['tag 51/57344 records (cbor-x)', 'd9e000 8300010203'],
    ['tag wrapping a map inside a message', 'a3 00 05 01 01 02 c1 a0'],
    ['null', 'f6'],
    ['undefined', 'f7'],
    ['simple value 16', 'f0'],
    ['simple value 20 in two bytes', 'f814'],
    ['simple value 255', 'f8ff'],
    ['float16', 'f93c00'],
    ['float32', 'fa3fc00000'],
    ['NaN', 'fb7ff8000000000000'],
    ['infinity', 'fb7ff0000000000000'],
    ['stray break', 'ff'],
    ['indefinite-length array', '9f00ff'],
    ['indefinite-length map', 'bf0000ff'],
    ['indefinite-length byte string', '5f4100ff'],
    ['indefinite-length text string', '7f6161ff'],
    ['reserved additional information 28', '1c'],
    ['reserved additional information 30', '5e'],
    ['an unsigned integer above 2^53 - 1', '1b0020000000000000'],
    ['a negative integer below -(2^53 - 1)', '3b001fffffffffffff'],
    ['a byte string running past the payload', 'a3 00 05 01 01 02 45 0102'],
    ['a text string of 2^53 - 1 declared bytes', '7b001fffffffffffff 61'],
    ['a byte string of 2^64 - 12 declared bytes', '5bfffffffffffffff4 00'],
    ['an array declaring more items than bytes left', '9a7fffffff 00'],
    ['a map declaring more pairs than bytes left', 'ba7fffffff 0000'],
    ['a byte-string map key', 'a1 4100 00'],
    ['a negative map key', 'a1 20 00'],
    ['a float map key', 'a1 fb3ff8000000000000 00'],
    ['an array map key', 'a1 80 00'],
    ['a payload that ends inside a head', '1a0001'],
    ['an empty payload', ''],
    ['bytes after the item', '0000'],
  ])('refuses %s as MalformedCbor', (_, bytes) => {
    const err = refusal(hex(bytes));
    expect(err.code).toBe('MalformedCbor');
  });

  it.each([
    ['a non-shortest integer', '1805'],
    ['a non-shortest length', '7801 61'],
    ['an integral float64', 'fb408f400000000000'],
    ['float64 -0', 'fb8000000000000000'],
    ['unsorted keys', 'a2 01 00 00 00'],
    ['a duplicate key', 'a2 00 00 00 01'],
    ['a longer text key first', 'a2 626161 00 6161 00'],
    ['invalid UTF-8', '62c328'],
    ['a UTF-8 surrogate', '63eda080'],
  ])('refuses %s as NonCanonicalEncoding', (_, bytes) => {
    expect(refusal(hex(bytes)).code).toBe('NonCanonicalEncoding');
  });

  it('lets a malformed item anywhere take precedence over a non-canonical one', () => {
    expect(refusal(hex('82 1805 f6')).code).toBe('MalformedCbor');
  });

  it(`accepts nesting to depth ${MAX_CBOR_DEPTH} and refuses one level more`, () => {
    const nested = (levels: number) => hex('81'.repeat(levels) + '00');
    expect(decodeCbor(nested(MAX_CBOR_DEPTH))).toBeDefined();
    expect(refusal(nested(MAX_CBOR_DEPTH + 1)).message).toMatch(/nesting deeper/);
    expect(refusal(hex('81'.repeat(4000) + '00')).code).toBe('MalformedCbor');
    expect(refusal(hex('a100'.repeat(2000) + '00')).code).toBe('MalformedCbor');
  });

  it('takes the G1 frame and the tag-27 frame through a FrameReader as errors, not exceptions', () => {
    const reader = new FrameReader();
    const results = reader.push(
      hex('00000006 d81c81d81d00' + '0000000f d81b82665265674578706261c3a928'),
    );
    expect(results.map(r => r.error?.code)).toEqual(['MalformedCbor', 'MalformedCbor']);
    expect(() => decodeFrame(hex('00000006d81c81d81d00'))).toThrow(ProtocolError);
  });

  it('decodes every value of the data model back to itself', () => {
    const values: [string, CborValue][] = [
      ['00', 0],
      ['17', 23],
      ['1818', 24],
      ['1b001fffffffffffff', Number.MAX_SAFE_INTEGER],
      ['3b001ffffffffffffe', -Number.MAX_SAFE_INTEGER],
      ['20', -1],
      ['f4', false],
      ['f5', true],
      ['fb3ff8000000000000', 1.5],
      ['fb4415af1d78b58c40', 1e20],
      ['40', new Uint8Array()],
      ['60', ''],
      ['6461c3a962', 'aéb'],
      ['80', []],
      ['a0', new Map()],
      [
        'a2 00 80 6161 a0',
        new Map<number | string, CborValue>([
          [0, []],
          ['a', new Map()],
        ]),
      ],
    ];
    for (const [bytes, value] of values) expect(decodeCbor(hex(bytes))).toEqual(value);
  });
});

/** Any value of the data model, to the depth the decoder accepts. */
const dataModel: fc.Arbitrary<CborValue> = fc.letrec<{ value: CborValue }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter(d => !Number.isSafeInteger(d)),
    fc.boolean(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(fc.nat(), fc.string({ maxLength: 8 })), tie('value')), {
        selector: ([k]) => k,
        maxLength: 5,
      })
      .map(entries => new Map(entries)),
  ),
})).value;

/**
 * cborg, a second decoder written independently of ours, in its strict mode: maps as Maps,
 * no undefined, no indefinite lengths, duplicate keys refused, shortest encodings required.
 */
function peerDecode(bytes: Uint8Array): unknown {
  return cborgDecode(bytes, {
    useMaps: true,
    strict: true,
    allowUndefined: false,
    allowIndefinite: false,
    rejectDuplicateMapKeys: true,
  });
}

/** cborg's view of a value in our types: integers beyond 2^53 come back as bigint. */
function fromPeer(v: unknown): CborValue {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromPeer);
  if (v instanceof Map)
    return new Map([...v].map(([k, x]) => [fromPeer(k) as number, fromPeer(x)]));
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  return v as CborValue;
}

function depthOf(v: CborValue): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v instanceof Map) return 1 + Math.max(0, ...[...v.values()].map(depthOf));
  return 0;
}

describe('strict CBOR decoder against cborg (two implementations that must agree)', () => {
  it('decodes every canonical encoding of the data model as cborg does', () => {
    fc.assert(
      fc.property(dataModel, value => {
        fc.pre(depthOf(value) <= MAX_CBOR_DEPTH);
        const bytes = encodeCbor(value);
        const ours = decodeCbor(bytes);
        expect(ours).toEqual(fromPeer(peerDecode(bytes)));
        expect(ours).toEqual(value);
      }),
      { numRuns: 3000 },
    );
  });
});
