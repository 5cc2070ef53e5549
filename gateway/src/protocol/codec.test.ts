import { decodeMessage, encodeMessage } from './codec';
import type { MessageOf } from './messages';

describe('text maps (app config)', () => {
  it('keeps every key, including ones that name Object.prototype members', () => {
    const config: Record<string, string> = {};
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'topic']) {
      Object.defineProperty(config, key, { value: `v-${key}`, enumerable: true });
    }
    const sent: MessageOf<'deployBegin'> = {
      type: 'deployBegin',
      id: 7,
      app: 'blinky',
      sha256: new Uint8Array(32).fill(1),
      size: 100,
      chunkSize: 64,
      config,
    };
    const received = decodeMessage(encodeMessage(sent)) as MessageOf<'deployBegin'>;
    expect(Object.keys(received.config!).sort()).toEqual(Object.keys(config).sort());
    expect(received.config!['__proto__']).toBe('v-__proto__');
    expect(Object.getPrototypeOf(received.config)).toBe(Object.prototype);
    expect(encodeMessage(received)).toEqual(encodeMessage(sent));
  });
});
