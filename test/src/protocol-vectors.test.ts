import {
  decodeFrame,
  encodeFrame,
  FrameReader,
  MESSAGES,
  PROTOCOL_ERROR_CODES,
  ProtocolError,
  type Message,
} from '../../gateway/src/protocol';
import { fromJson, loadMalformedVectors, loadValidVectors } from './vectorJson';

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const valid = loadValidVectors();
const malformed = loadMalformedVectors();

describe('golden protocol vectors', () => {
  it('cover every message type of the catalogue', () => {
    const covered = new Set(valid.map(v => (v.message as { type: string }).type));
    expect([...covered].sort()).toEqual(MESSAGES.map(m => m.name).sort());
  });

  it('name every error code the codec has', () => {
    expect(new Set(malformed.map(v => v.error))).toEqual(new Set(PROTOCOL_ERROR_CODES));
  });

  it.each(valid.map(v => [v.name, v] as const))(
    'valid %s decodes to its meaning and re-encodes byte for byte',
    (_, v) => {
      const decoded = decodeFrame(bytes(v.frame));
      expect(decoded).toEqual(fromJson(v.message));
      if (v.roundTrip !== false) {
        expect(Buffer.from(encodeFrame(decoded)).toString('hex')).toBe(v.frame);
      }
    },
  );

  it.each(malformed.map(v => [v.name, v] as const))(
    'malformed %s is refused with its named error',
    (_, v) => {
      let thrown: unknown;
      try {
        decodeFrame(bytes(v.frame));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProtocolError);
      expect((thrown as ProtocolError).code).toBe(v.error);
    },
  );

  it('decode the same from a stream cut into single bytes', () => {
    const stream = Buffer.concat(valid.map(v => Buffer.from(v.frame, 'hex')));
    const reader = new FrameReader();
    const out: Message[] = [];
    for (const b of stream) out.push(...reader.push(Uint8Array.of(b)).map(r => r.message!));
    expect(out).toEqual(valid.map(v => fromJson(v.message)));
    expect(reader.pendingBytes).toBe(0);
  });

  it('refuse an oversized frame from its header alone, before its payload arrives', () => {
    const reader = new FrameReader();
    expect(() => reader.push(bytes('00100000'))).toThrow(
      expect.objectContaining({ code: 'FrameTooLarge' }),
    );
  });
});
