import tls from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DeviceClient } from './client/deviceClient';
import { DEVICE_TLS_GROUPS, tlsProfile } from './transport/tlsProfile';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

// A full collection before each reading, so what is left is what the gateway keeps.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Connections that come and go must leave nothing behind in the gateway: not in its tables
 * (admission counts, sessions), and not in native memory either, where Node's TLS keeps what a
 * JS heap snapshot never shows. The gateway runs in this process; RSS is read after a full gc.
 */
describe('device-port connections that come and go', () => {
  let t: TestGateway;
  let device: DeviceClient;
  beforeAll(async () => {
    t = await startTestGateway();
    const { client, token } = await t.device('churn');
    await client.enroll(token);
    device = client;
  });
  afterAll(() => t.stop());

  /** One connection with the device's certificate (or none), cut as soon as TLS is up. */
  function connectOnce(withCertificate: boolean): Promise<void> {
    return new Promise(resolve => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: t.gateway.port,
        servername: 'localhost',
        ...tlsProfile(DEVICE_TLS_GROUPS),
        ...(withCertificate
          ? { secureContext: device.secureContext() }
          : { ca: [t.address.caPem] }),
      });
      socket.on('error', () => {});
      socket.once('secureConnect', () => setTimeout(() => socket.destroy(), 1));
      socket.once('close', () => resolve());
    });
  }

  async function churn(n: number): Promise<void> {
    let started = 0;
    const worker = async () => {
      while (started < n) await connectOnce(started++ % 4 !== 3);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Every connection the gateway saw is closed and given back.
    await eventually(() => t.gateway.admission.device.openConnections === 0);
  }

  function rssAfterGc(): number {
    gc();
    gc();
    return process.memoryUsage.rss();
  }

  it('leaves no session, admission count or native memory behind', async () => {
    await churn(1500); // allocator pools, JIT and caches reach their working size
    // A leak grows RSS in every round; other suites' workers and the allocator only now and
    // then: the smallest round is what each connection leaves behind.
    const n = 1500;
    const perConnection: number[] = [];
    let before = rssAfterGc();
    for (let round = 0; round < 3; round++) {
      await churn(n);
      const after = rssAfterGc();
      perConnection.push((after - before) / n);
      before = after;
    }

    expect(t.gateway.sessions.size).toBe(0);
    expect(t.gateway.admission.device.openConnections).toBe(0);
    expect(t.gateway.admission.device.inFlightHandshakes).toBe(0);
    // A leak of one peer certificate per connection is about 4 KiB each; what is allowed is
    // allocator noise.
    expect(Math.min(...perConnection)).toBeLessThan(1024);
  }, 120_000);
});
