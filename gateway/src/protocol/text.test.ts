import fc from 'fast-check';
import { encodeMessage } from './codec';
import { MAX_ERROR_MESSAGE_BYTES } from './limits';
import { truncateUtf8 } from './text';

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('truncateUtf8', () => {
  it('gives the longest prefix within the byte bound, cut between code points', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.integer({ min: 0, max: 300 }),
        (text, max) => {
          const cut = truncateUtf8(text, max);
          expect(text.startsWith(cut)).toBe(true);
          expect(utf8Bytes(cut)).toBeLessThanOrEqual(max);
          if (cut.length < text.length) {
            // maximal: the next whole code point would not have fitted
            const next = String.fromCodePoint(text.codePointAt(cut.length)!);
            expect(utf8Bytes(cut + next)).toBeGreaterThan(max);
            // never half a surrogate pair
            const last = cut.charCodeAt(cut.length - 1);
            expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('keeps an error message that quotes peer text sendable (G2)', () => {
    // The G2 shape: a message of 256 UTF-16 units that is 500+ bytes of UTF-8.
    const reason = `Invalid regular expression: /${'é'.repeat(250)}(/: Unterminated group`;
    expect(reason.slice(0, 256).length).toBe(256);
    const sliced = {
      type: 'error',
      id: 1,
      code: 'badFrame',
      message: reason.slice(0, 256),
    } as const;
    expect(() => encodeMessage(sliced)).toThrow(expect.objectContaining({ code: 'InvalidField' }));
    const cut = truncateUtf8(reason, MAX_ERROR_MESSAGE_BYTES);
    expect(() => encodeMessage({ ...sliced, message: cut })).not.toThrow();
    expect(utf8Bytes(cut)).toBeGreaterThan(MAX_ERROR_MESSAGE_BYTES - 3);
  });

  it('cuts 4-byte code points whole', () => {
    expect(truncateUtf8('a😀😀', 5)).toBe('a😀');
    expect(truncateUtf8('a😀😀', 4)).toBe('a');
    expect(truncateUtf8('short', 256)).toBe('short');
  });
});
