/**
 * The G1 and G2 triggers of issue 9, replayed against a real gateway: each is answered on its
 * own connection, and the gateway keeps serving everyone else. (The network fuzzer,
 * test/fuzz/gatewayFuzz.ts, sends these shapes and many more to a gateway process.)
 */
import tls from 'node:tls';
import { FrameReader, type Message } from '../../gateway/src/protocol';
import type { DeviceClient } from '../../gateway/src/client/deviceClient';
import { startTestGateway, type TestGateway } from '../../gateway/src/testSupport';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
const frame = (payload: Buffer) => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
};
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const textHead = (n: number) => Buffer.from([0x79, n >> 8, n & 0xff]);

/** Sends bytes on a fresh enrollment connection; resolves with what came back before close. */
function enrollmentExchange(t: TestGateway, bytes: Buffer): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: t.gateway.enrollPort,
      ca: [t.address.caPem],
      servername: 'localhost',
    });
    const reader = new FrameReader();
    const got: Message[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway did not close the connection; got ${JSON.stringify(got)}`));
    }, 10_000);
    socket.once('secureConnect', () => socket.write(bytes));
    socket.on('data', d => {
      for (const r of reader.push(d)) if (r.message) got.push(r.message);
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

describe('hostile frames on the enrollment port (issue 9, G1 and G2)', () => {
  let t: TestGateway;
  let bystander: DeviceClient;
  beforeAll(async () => {
    t = await startTestGateway();
    bystander = await t.connectedDevice('bystander');
  }, 30_000);
  afterAll(async () => {
    bystander.close();
    await t.stop();
  });

  it('G1: a shared value that contains itself is refused as badFrame, the gateway serves on', async () => {
    const replies = await enrollmentExchange(t, hex('00000006 d81c81d81d00'));
    expect(replies).toEqual([expect.objectContaining({ type: 'error', code: 'badFrame' })]);
    await expect(bystander.heartbeat()).resolves.toBeGreaterThan(0);
    const { client, token } = await t.device('after-g1');
    await expect(client.enroll(token)).resolves.toBeDefined();
  });

  it('G2: a tag-27 RegExp of non-ASCII text gets an error reply that fits the protocol', async () => {
    // ["RegExp", "éé…é("]: cbor-x compiled it and the SyntaxError quoted 300 é, 600 bytes.
    const pattern = utf8('é'.repeat(300) + '(');
    const payload = Buffer.concat([
      hex('d81b 82 66'),
      utf8('RegExp'),
      textHead(pattern.length),
      pattern,
    ]);
    const replies = await enrollmentExchange(t, frame(payload));
    expect(replies).toEqual([expect.objectContaining({ type: 'error', code: 'badFrame' })]);
    const message = (replies[0] as Extract<Message, { type: 'error' }>).message;
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(256);
    await expect(bystander.heartbeat()).resolves.toBeGreaterThan(0);
  });

  it('an enroll whose fields quote long non-ASCII text is answered, not fatal', async () => {
    // A log message (type 18) on the enrollment session, its text 256 bytes of é: refused
    // with notEnrolled; the reply must still encode.
    const text = utf8('é'.repeat(128));
    const payload = Buffer.concat([hex('a4 00 12 01 01 02 01 03'), textHead(text.length), text]);
    const replies = await enrollmentExchange(t, frame(payload));
    expect(replies).toEqual([expect.objectContaining({ type: 'error' })]);
    await expect(bystander.heartbeat()).resolves.toBeGreaterThan(0);
  });
});
