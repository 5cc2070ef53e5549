import { decodeMessage, MAX_CBOR_DEPTH, ProtocolError } from '@wasmbed/gateway';
import { FrameGenerator, Rng } from './frames';

// Bytes as 'd8 1c 81 ...', so that patterns match whole bytes only.
const hexOf = (b: Uint8Array) => Array.from(b, x => x.toString(16).padStart(2, '0')).join(' ');

describe('the network fuzzer generates every family the gateway must survive', () => {
  const gen = new FrameGenerator(new Rng(42), ['live-0']);
  const payloads = Array.from({ length: 20_000 }, () => gen.payload());
  const hexes = payloads.map(hexOf);
  const some = (re: RegExp) => hexes.some(h => re.test(h));

  it.each([
    ['the G1 payload', /^d8 1c 81 d8 1d 00$/],
    ['tag 28 holding tag-29 references', /d8 1c [89ab][0-9a-f] .*d8 1d/],
    ['tag 27 objects (RegExp, Error, ...)', /d8 1b 82/],
    ['tag 55799', /d9 d9 f7/],
    ['tags in a 4-byte argument', /\bda( [0-9a-f]{2}){4}/],
    ['tags in an 8-byte argument', /\bdb( ff){8}/],
    ['null and undefined', /\bf[67]\b/],
    ['float16 and float32', /\bf[9a]\b/],
    ['indefinite-length arrays and maps', /\b[9b]f\b/],
    ['nesting past the depth limit', new RegExp(`(81 ){${MAX_CBOR_DEPTH + 1}}`)],
    ['2^64 - 1 declared lengths', /\b[5-9ab]b( ff){8}/],
    ['long UTF-8 text', /(c3 a9 ){100}/],
  ])('%s', (_, pattern) => {
    expect(some(pattern)).toBe(true);
  });

  it('valid messages of every direction, some naming registered devices', () => {
    const decoded = Array.from({ length: 2000 }, () => decodeMessage(gen.validMessage()));
    expect(new Set(decoded.map(m => m.type)).size).toBeGreaterThan(20);
    expect(decoded.some(m => 'device' in m && m.device === 'live-0')).toBe(true);
  });

  it('frames with lying, oversized and zero lengths', () => {
    const lengths = payloads.slice(0, 2000).map(p => {
      const f = gen.frame(p);
      return f.length >= 4
        ? [new DataView(f.buffer, f.byteOffset).getUint32(0), p.length]
        : [-1, 0];
    });
    expect(lengths.some(([d]) => d === 0xffffffff)).toBe(true);
    expect(lengths.some(([d]) => d === 0)).toBe(true);
    expect(lengths.some(([d, n]) => d! > n! && d! < 4096)).toBe(true);
  });

  it('inputs on which the codec only ever returns a message or a ProtocolError', () => {
    for (const p of payloads) {
      try {
        decodeMessage(p);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
      }
    }
  });
});
