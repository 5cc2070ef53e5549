import tls from 'node:tls';
import { connectTls, type DeviceClient } from './client/deviceClient';
import { encodeCbor } from './protocol/cbor';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

const VALID_SESSIONS = Number(process.env.VALID_SESSIONS ?? 200);

/** Opens a certified TLS connection for an enrolled device and hands back the raw socket. */
async function rawSession(t: TestGateway, name: string): Promise<tls.TLSSocket> {
  const { client, token } = await t.device(name);
  await client.enroll(token);
  const socket = await connectTls({
    host: '127.0.0.1',
    port: t.gateway.port,
    ca: [t.address.caPem],
    servername: 'localhost',
    key: client.identity.keyPem,
    cert: client.identity.certificatePem,
  });
  socket.resume(); // read (and drop) what the gateway says, so its close reaches us
  return socket;
}

function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

const closed = (s: tls.TLSSocket) =>
  new Promise<void>(r => (s.destroyed ? r() : s.once('close', () => r())));

describe('a bad peer costs only its own session', () => {
  let t: TestGateway;
  let devices: DeviceClient[];
  beforeAll(async () => {
    t = await startTestGateway({ helloTimeoutMs: 1500 });
    devices = [];
    for (let i = 0; i < VALID_SESSIONS; i++) devices.push(await t.connectedDevice(`ok-${i}`));
  }, 60_000);
  afterAll(async () => {
    for (const d of devices) d.close();
    await t.stop();
  });

  it(`keeps ${VALID_SESSIONS} sessions' heartbeats flowing while malformed peers are cut off`, async () => {
    let heartbeatFailures = 0;
    let heartbeats = 0;
    let running = true;
    const beat = (async () => {
      while (running) {
        const results = await Promise.allSettled(devices.map(d => d.heartbeat()));
        heartbeats += results.filter(r => r.status === 'fulfilled').length;
        heartbeatFailures += results.filter(r => r.status === 'rejected').length;
        await new Promise(r => setTimeout(r, 50));
      }
    })();

    const hello = {
      0: 3,
      1: 1,
      2: 1,
      3: 'v',
      4: '', // an empty board name: InvalidField
      5: new Map<number, unknown>([
        [0, 1],
        [1, 1],
        [2, 1],
        [3, 1],
        [4, []],
      ]),
      6: [],
    };
    const cases: [string, (s: tls.TLSSocket) => void, RegExp][] = [
      [
        'malformed',
        s => s.write(frame(Uint8Array.from([0xa3, 0x00, 0x18, 0x05, 0x01, 0x01, 0x02, 0x00]))),
        /NonCanonicalEncoding/,
      ],
      [
        'truncated',
        s => s.end(Buffer.from('0000001aa3000501', 'hex')),
        /connection closed|no hello/,
      ],
      ['oversized', s => s.write(Buffer.from('00100000', 'hex')), /FrameTooLarge/],
      [
        'unknown-field',
        s =>
          s.write(
            frame(
              encodeCbor(
                new Map([
                  [0, 5],
                  [1, 1],
                  [2, 1],
                  [9, 1],
                ]),
              ),
            ),
          ),
        /expected hello|UnknownField/,
      ],
      [
        'garbage',
        s => s.write(Buffer.from('not cbor at all, just text....')),
        /FrameTooLarge|MalformedCbor/,
      ],
      ['silent', () => {}, /no hello/],
      [
        'bad-hello',
        s =>
          s.write(
            frame(
              encodeCbor(new Map(Object.entries(hello).map(([k, v]) => [Number(k), v as never]))),
            ),
          ),
        /InvalidField: hello\.board must be at least 1 bytes/,
      ],
    ];
    const logsBefore = t.logLines.length;
    const bad = await Promise.all(cases.map(([name]) => rawSession(t, `bad-${name}`)));
    cases.forEach(([, act], i) => act(bad[i]!));
    await Promise.all(bad.map(closed));

    const refusals = t.logLines
      .slice(logsBefore)
      .filter(
        l =>
          l.msg === 'refusing session' ||
          l.msg === 'session ended' ||
          l.msg === 'device went quiet',
      );
    for (const [name, , reason] of cases) {
      const lines = refusals.filter(l => l.device === `bad-${name}`);
      expect({ name, reasons: lines.map(l => String(l.reason)) }).toEqual({
        name,
        reasons: expect.arrayContaining([expect.stringMatching(reason)]),
      });
    }
    running = false;
    await beat;
    expect(heartbeatFailures).toBe(0);
    expect(heartbeats).toBeGreaterThan(VALID_SESSIONS * 5);
    expect(devices.every(d => !d.connection!.closed)).toBe(true);
    await eventually(() => cases.every(([name]) => !t.gateway.sessions.has(`bad-${name}`)));
    expect(t.gateway.sessions.size).toBe(VALID_SESSIONS);
  }, 60_000);

  it('closes a session that floods past its rate limit, and only that one', async () => {
    const flooder = await t.connectedDevice('flooder');
    const closedReason = new Promise(r => flooder.once('closed', r));
    for (let i = 0; i < 400 && !flooder.connection!.closed; i++) flooder.telemetry('x', 'spam', i);
    await closedReason;
    expect(
      t.logLines.some(l => l.device === 'flooder' && /rate limit/.test(String(l.reason))),
    ).toBe(true);
    await Promise.all(devices.slice(0, 20).map(d => d.heartbeat()));
  });

  it('answers an unknown message type with an error and keeps the session', async () => {
    const device = await t.connectedDevice('newer-device');
    const socket = device.connection!.socket;
    const errors: unknown[] = [];
    device.on('message', m => m.type === 'error' && errors.push(m));
    socket.write(
      frame(
        encodeCbor(
          new Map([
            [0, 99],
            [1, 7],
          ]),
        ),
      ),
    );
    await eventually(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'unknownType' });
    await device.heartbeat();
    device.close();
  });
});
