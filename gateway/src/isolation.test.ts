import type tls from 'node:tls';
import type { DeviceClient } from './client/deviceClient';
import { encodeCbor } from './protocol/cbor';
import { encodeFrame } from './protocol/codec';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

const PEERS = 50;

function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/** Heartbeats from every peer until stopped; counts the failures. */
function heartbeating(devices: DeviceClient[]) {
  let running = true;
  let ok = 0;
  let failed = 0;
  const done = (async () => {
    while (running) {
      const results = await Promise.allSettled(devices.map(d => d.heartbeat()));
      ok += results.filter(r => r.status === 'fulfilled').length;
      failed += results.filter(r => r.status === 'rejected').length;
      await new Promise(r => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await done;
    return { ok, failed };
  };
}

describe('no peer can end the gateway or take more than its own session', () => {
  let t: TestGateway;
  let peers: DeviceClient[];
  beforeAll(async () => {
    t = await startTestGateway({
      // High enough that the peers below are cut off by the bound under test, not by the rate.
      messagesPerSecond: 1_000_000,
      messageBurst: 1_000_000,
      maxQueuedBytes: 32 * 1024,
    });
    peers = [];
    for (let i = 0; i < PEERS; i++) peers.push(await t.connectedDevice(`peer-${i}`));
  }, 60_000);
  afterAll(async () => {
    for (const p of peers) p.close();
    await t.stop();
  });

  it('a handler that throws or rejects closes only the session it was handling', async () => {
    // A defect in our own code reached by a peer's frame: here, the control plane's.
    const cp = t.controlPlane;
    const original = cp.recordTelemetry.bind(cp);
    cp.recordTelemetry = (device, sample) => {
      if (device === 'faulty-sync') throw new RangeError('Maximum call stack size exceeded');
      if (device === 'faulty-async') return Promise.reject(new Error('store unavailable'));
      return original(device, sample);
    };
    const stop = heartbeating(peers);
    const faulty = [
      await t.connectedDevice('faulty-sync'),
      await t.connectedDevice('faulty-async'),
    ];
    const reasons = faulty.map(d => new Promise<string>(r => d.once('closed', r)));
    for (const d of faulty) d.telemetry('app', 'topic', 1);
    await Promise.all(reasons);
    await eventually(
      () => !t.gateway.sessions.has('faulty-sync') && !t.gateway.sessions.has('faulty-async'),
    );
    const logged = t.logLines.filter(l => l.msg === 'closing connection after an internal error');
    expect(logged.map(l => l.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Maximum call stack size exceeded/),
        expect.stringMatching(/store unavailable/),
      ]),
    );
    await new Promise(r => setTimeout(r, 300));
    const { ok, failed } = await stop();
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(PEERS);
    expect(peers.every(p => !p.connection!.closed)).toBe(true);
  });

  it('a fault while accepting a connection closes only that connection', async () => {
    const gateway = t.gateway as unknown as { acceptDevice: (s: tls.TLSSocket) => void };
    const accept = gateway.acceptDevice;
    gateway.acceptDevice = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'subject')");
    };
    try {
      const stop = heartbeating(peers);
      const { client, token } = await t.device('accept-fault');
      await client.enroll(token);
      await expect(client.connect({ heartbeats: false })).rejects.toThrow();
      const line = await eventually(() =>
        t.logLines.find(
          l => l.msg === 'closing connection after an internal error' && l.listener === 'device',
        ),
      );
      expect(String(line.reason)).toMatch(/reading 'subject'/);
      const { failed } = await stop();
      expect(failed).toBe(0);
    } finally {
      gateway.acceptDevice = accept;
    }
  });

  it('closes a device that stops reading once its queued output passes the bound', async () => {
    const reader = await t.connectedDevice('never-reads', undefined);
    const socket = reader.connection!.socket as tls.TLSSocket;
    const session = t.gateway.sessions.get('never-reads')!;
    const stop = heartbeating(peers);
    socket.pause(); // the device stops reading; the gateway keeps answering its heartbeats
    const beat = Buffer.from(encodeFrame({ type: 'heartbeat', id: 1, uptimeMs: 1 }));
    const burst = Buffer.concat(Array.from({ length: 200 }, () => beat));
    let maxQueued = 0;
    // Bounded, so that without the bound this fails rather than spins: 200,000 answers.
    for (let i = 0; i < 1000 && !session.connection.closed; i++) {
      if (socket.write(burst) === false) await new Promise(r => socket.once('drain', r));
      maxQueued = Math.max(maxQueued, session.connection.queuedBytes);
      await new Promise(r => setImmediate(r));
    }
    expect(session.connection.closed).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(32 * 1024);
    const line = await eventually(() =>
      t.logLines.find(l => l.device === 'never-reads' && l.msg === 'session ended'),
    );
    expect(String(line.reason)).toMatch(/peer is not reading: \d+ bytes queued, limit 32768/);
    const { failed } = await stop();
    expect(failed).toBe(0);
    reader.close();
  }, 60_000);

  it('counts frames of unknown type against the rate limit', async () => {
    const limited = await startTestGateway({ messagesPerSecond: 5, messageBurst: 20 });
    try {
      const device = await limited.connectedDevice('unknown-flood');
      const closed = new Promise<string>(r => device.once('closed', r));
      const unknown = frame(
        encodeCbor(
          new Map([
            [0, 99],
            [1, 7],
          ]),
        ),
      );
      for (let i = 0; i < 200 && !device.connection!.closed; i++)
        device.connection!.socket.write(unknown);
      await closed;
      const line = await eventually(() =>
        limited.logLines.find(l => l.device === 'unknown-flood' && l.msg === 'session ended'),
      );
      expect(String(line.reason)).toMatch(/rate limit/);
    } finally {
      await limited.stop();
    }
  });
});
