import net from 'node:net';
import tls from 'node:tls';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

/** A TCP connection from `localAddress`; resolves once it is open. */
function dial(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

/** True when the server closes the connection within `ms` without sending anything. */
function refusedAtOnce(s: net.Socket, ms = 2000): Promise<boolean> {
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once('data', () => (clearTimeout(timer), resolve(false)));
    s.once('close', () => (clearTimeout(timer), resolve(true)));
    s.on('error', () => {});
  });
}

describe('connection caps: past them new connections are refused, existing sessions carry on', () => {
  let t: TestGateway;
  const open: net.Socket[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await t.stop();
  });

  it('per remote address', async () => {
    t = await startTestGateway({ admission: { maxConnectionsPerAddress: 3 } });
    const devices = [await t.connectedDevice('cap-a'), await t.connectedDevice('cap-b')];
    open.push(await dial(t.gateway.port)); // the third from 127.0.0.1
    const fourth = await dial(t.gateway.port);
    open.push(fourth);
    expect(await refusedAtOnce(fourth)).toBe(true);
    expect(
      t.logLines.some(
        l => l.msg === 'connection refused' && /3 connections open from/.test(String(l.reason)),
      ),
    ).toBe(true);
    // Another address is counted on its own.
    const other = await dial(t.gateway.port, '127.0.0.2');
    open.push(other);
    expect(await refusedAtOnce(other, 300)).toBe(false);
    await Promise.all(devices.map(d => d.heartbeat()));
    // A closed connection gives its place back.
    open[0]!.destroy();
    await eventually(() => t.gateway.admission.device.openConnections === 3);
    const again = await dial(t.gateway.port);
    open.push(again);
    expect(await refusedAtOnce(again, 300)).toBe(false);
    for (const d of devices) d.close();
  });

  it('TLS handshakes in flight, and connections per listener', async () => {
    t = await startTestGateway({ admission: { maxHandshakes: 2, maxConnections: 4 } });
    const device = await t.connectedDevice('hs-a'); // one connection open, its handshake done
    // Two that never send a ClientHello hold both handshake places.
    open.push(await dial(t.gateway.port), await dial(t.gateway.port));
    await eventually(() => t.gateway.admission.device.inFlightHandshakes === 2);
    const third = await dial(t.gateway.port);
    open.push(third);
    expect(await refusedAtOnce(third)).toBe(true);
    expect(t.logLines.some(l => /2 TLS handshakes in flight/.test(String(l.reason ?? '')))).toBe(
      true,
    );
    await device.heartbeat();
    for (const s of open.splice(0)) s.destroy();
    await eventually(() => t.gateway.admission.device.inFlightHandshakes === 0);

    // Four finished handshakes on the enrollment listener fill it; the fifth is refused.
    const secured = async () => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: t.gateway.enrollPort,
        ca: [t.address.caPem],
        servername: 'localhost',
      });
      s.on('error', () => {});
      await new Promise(r => s.once('secureConnect', r));
      open.push(s);
    };
    for (let i = 0; i < 4; i++) await secured();
    const fifth = await dial(t.gateway.enrollPort);
    open.push(fifth);
    expect(await refusedAtOnce(fifth)).toBe(true);
    expect(
      t.logLines.some(l => /4 connections open on this listener/.test(String(l.reason ?? ''))),
    ).toBe(true);
    await device.heartbeat();
    device.close();
  });
});

describe('a client that never closes is gone after the timeout', () => {
  it('enrollment: the gateway ends, then destroys, a silent half-open client', async () => {
    const t = await startTestGateway({ helloTimeoutMs: 300 });
    try {
      const sockets: tls.TLSSocket[] = [];
      for (let i = 0; i < 5; i++) {
        // allowHalfOpen (passed on to the TCP socket, though not in the typings): this client
        // never ends its side, even after the gateway's FIN.
        const s = tls.connect({
          host: '127.0.0.1',
          port: t.gateway.enrollPort,
          ca: [t.address.caPem],
          servername: 'localhost',
          allowHalfOpen: true,
        } as tls.ConnectionOptions);
        s.on('error', () => {});
        s.on('end', () => {}); // and keeps its socket open
        await new Promise(r => s.once('secureConnect', r));
        sockets.push(s);
      }
      await eventually(() => t.gateway.admission.enroll.openConnections === 5);
      await eventually(() => t.gateway.admission.enroll.openConnections === 0, 5000);
      // Each client still holds its side open: only the gateway let go.
      expect(sockets.every(s => !s.destroyed)).toBe(true);
      for (const s of sockets) s.destroy();
    } finally {
      await t.stop();
    }
  });
});
