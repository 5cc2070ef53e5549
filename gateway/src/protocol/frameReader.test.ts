import { encodeCbor } from './cbor';
import { FrameReader } from './frameReader';
import { MAX_FRAME_BYTES } from './limits';

/** A heartbeat padded through extension key 32 to exactly `payloadBytes`, as a whole frame. */
function heartbeatFrame(payloadBytes: number): Uint8Array {
  const envelope = (pad: number) =>
    encodeCbor(
      new Map<number, number | Uint8Array>([
        [0, 5],
        [1, 1],
        [2, 1],
        [32, new Uint8Array(pad)],
      ]),
    );
  // The padding's head grows with its length; find the pad that lands on the exact size.
  let pad = payloadBytes - envelope(0).length;
  while (envelope(pad).length > payloadBytes) pad--;
  const payload = envelope(pad);
  expect(payload.length).toBe(payloadBytes);
  const frame = new Uint8Array(4 + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, 4);
  return frame;
}

describe('FrameReader at the frame size limit', () => {
  it(`accepts a frame of exactly MAX_FRAME_BYTES (${MAX_FRAME_BYTES}) payload bytes`, () => {
    const reader = new FrameReader();
    const results = reader.push(heartbeatFrame(MAX_FRAME_BYTES));
    expect(results).toHaveLength(1);
    expect(results[0]!.error).toBeUndefined();
    expect(results[0]!.message).toMatchObject({ type: 'heartbeat', id: 1, uptimeMs: 1 });
  });

  it('accepts it when it arrives one byte at a time', () => {
    const reader = new FrameReader();
    const frame = heartbeatFrame(MAX_FRAME_BYTES);
    let messages = 0;
    for (const b of frame) messages += reader.push(Uint8Array.of(b)).length;
    expect(messages).toBe(1);
    expect(reader.pendingBytes).toBe(0);
  });

  it('refuses MAX_FRAME_BYTES + 1 as soon as the 4 header bytes arrive', () => {
    const reader = new FrameReader();
    const frame = heartbeatFrame(MAX_FRAME_BYTES + 1);
    expect(reader.push(frame.subarray(0, 3))).toEqual([]);
    expect(() => reader.push(frame.subarray(3, 4))).toThrow(
      expect.objectContaining({ code: 'FrameTooLarge' }),
    );
  });
});
