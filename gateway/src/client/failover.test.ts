import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { wasmModule } from '../testSupport';
import { DeviceClient, type Connected, type GatewayAddress } from './deviceClient';
import { DeviceIdentity } from './deviceIdentity';
import { enrollFleet, keepFleetConnected } from './loadGenerator';

/**
 * Devices that know several gateways, against real gateway processes (the fixture gateway,
 * `gateway/src/fixture/cli.ts`: real TLS, its own control plane and admin API), killed with
 * SIGKILL as a crashed host would be.
 */

interface FixtureGateway {
  child: ChildProcess;
  address: GatewayAddress;
  admin: (method: string, route: string, body?: unknown) => Promise<Response>;
}

async function startFixtureGateway(
  dataDir: string,
  ports = { port: 0, enrollPort: 0 },
): Promise<FixtureGateway> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, '../fixture/cli.ts'),
      ...['--port', String(ports.port), '--enroll-port', String(ports.enrollPort)],
      ...['--admin-port', '0', '--data', dataDir],
      // Every test client dials from 127.0.0.1: the per-address cap is the listener's here.
      ...['--max-connections-per-address', '20000'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const ready = await new Promise<{ port: number; enrollPort: number; admin: string }>(
      (resolve, reject) => {
        let text = '';
        let listening: { port: number; enrollPort: number } | undefined;
        child.stdout!.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          for (const line of text.split('\n').slice(0, -1)) {
            const entry = JSON.parse(line) as Record<string, unknown>;
            if (entry.msg === 'gateway listening') listening = entry as never;
            if (entry.msg === 'admin API ready' && listening)
              resolve({ ...listening, admin: String(entry.admin) });
          }
          text = text.slice(text.lastIndexOf('\n') + 1);
        });
        child.once('exit', code => reject(new Error(`fixture gateway exited with ${code}`)));
      },
    );
    const authorization = `Bearer ${readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim()}`;
    return {
      child,
      address: {
        host: '127.0.0.1',
        port: ready.port,
        enrollPort: ready.enrollPort,
        caPem: readFileSync(path.join(dataDir, 'ca', 'ca.crt.pem'), 'utf8'),
      },
      admin: (method, route, body) =>
        fetch(`${ready.admin}${route}`, {
          method,
          headers: { authorization, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

const killed = (child: ChildProcess) =>
  new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

/** A loopback port nothing listens on: a dial there is refused at once. */
async function deadAddress(caPem: string): Promise<GatewayAddress> {
  const server = net.createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(r => server.close(r));
  return { host: '127.0.0.1', port, enrollPort: port, caPem };
}

async function until<T>(check: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 20));
  }
}

const MODULE = wasmModule([{ module: 'wasmbed', name: 'log', params: 'iii', results: '' }], 6000);
const LIMITS = { memoryBytes: 65536, fuelPerActivation: 100000, periodMs: 1000 };

describe('a device client with several gateways', () => {
  let dirA: string, dirB: string;
  let a: FixtureGateway, b: FixtureGateway;
  const clients: DeviceClient[] = [];

  beforeAll(async () => {
    dirA = mkdtempSync(path.join(tmpdir(), 'failover-a-'));
    dirB = mkdtempSync(path.join(tmpdir(), 'failover-b-'));
    a = await startFixtureGateway(dirA);
    // One fleet CA: B signs its server certificate with A's CA and trusts A's device certificates.
    cpSync(path.join(dirA, 'ca'), path.join(dirB, 'ca'), { recursive: true });
    b = await startFixtureGateway(dirB);
    expect(b.address.caPem).toBe(a.address.caPem);
    await register(['fo-wait', 'fo-hung']); // for the last tests, while both gateways run
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([killed(a.child), killed(b.child)]);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  /** Registers the devices on both gateways (each fixture has its own records) with one token. */
  async function register(names: string[]): Promise<{ name: string; token: string }[]> {
    const tokens = names.map(name => ({ name, token: `token-${name}-0123456789` }));
    for (const g of [a, b])
      for (const t of tokens) expect((await g.admin('POST', '/devices', t)).status).toBe(201);
    return tokens;
  }

  it('enrolls and connects through the second gateway when the first address is dead', async () => {
    const [t] = await register(['fo-dead-first']);
    const dead = await deadAddress(a.address.caPem);
    const client = new DeviceClient(await DeviceIdentity.create(t!.name), [dead, a.address]);
    clients.push(client);
    const certificate = await client.enroll(t!.token);
    expect(certificate.subject).toContain('CN=fo-dead-first');
    expect(client.gateway).toBe(a.address);

    // Connecting starts again from the dead one (the list is round robin), and passes it.
    client.nextGateway();
    expect(client.gateway).toBe(dead);
    const connected = new Promise<Connected>(r => client.once('connected', r));
    await client.keepConnected({ heartbeats: false });
    expect(await connected).toMatchObject({ index: 1, session: 1, attempts: 2 });
    expect(client.gateway).toBe(a.address);
  }, 30_000);

  it('moves 100 clients to gateway B when A is killed, within seconds, re-sending no app', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `fo-${i}`);
    const tokens = await register(names);
    // Every client starts on A (a list rotated per client would spread them over both).
    const { devices } = await enrollFleet(a.address, tokens, { concurrency: 16 });
    const fleet = devices.map(d => new DeviceClient(d.identity, [a.address, b.address]));
    clients.push(...fleet);
    // The same app desired on both gateways: B, taking a device over, must see from the hello
    // that the device runs it already.
    for (const g of [a, b]) {
      const res = await g.admin('POST', '/deploy', {
        app: 'telemetry',
        module: Buffer.from(MODULE).toString('base64'),
        devices: names,
        limits: LIMITS,
      });
      expect(res.status).toBeLessThan(300);
    }
    await keepFleetConnected(fleet, {
      concurrency: 16,
      heartbeats: false,
      policy: { firstDelayMs: 2000 },
    });
    expect(fleet.every(c => c.lastConnected?.index === 0)).toBe(true);
    await until(() => fleet.every(c => c.deploysCommitted.get('telemetry') === 1), 30_000);

    const reconnected: Connected[] = [];
    for (const c of fleet) c.once('connected', e => reconnected.push(e));
    const killedAt = Date.now();
    await killed(a.child);
    await until(() => reconnected.length === fleet.length, 20_000);
    const seconds = (Math.max(...reconnected.map(e => e.atMs)) - killedAt) / 1000;
    process.stdout.write(
      `failover (jest): 100 clients on gateway B ${seconds.toFixed(2)} s after kill -9 of A\n`,
    );
    expect(reconnected.every(e => e.index === 1 && e.session === 2)).toBe(true);
    expect(reconnected.every(e => e.droppedAtMs! >= killedAt)).toBe(true);
    // Jitter: the reconnects spread over the first delay instead of landing at once.
    const times = reconnected.map(e => e.atMs).sort((x, y) => x - y);
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(500);
    // B saw every device as connected, reporting the app it still runs ...
    const listed = (await (await b.admin('GET', '/devices')).json()) as {
      name: string;
      phase?: string;
    }[];
    const phases = new Map(listed.map(d => [d.name, d.phase]));
    expect(names.filter(n => phases.get(n) !== 'Connected')).toEqual([]);
    // ... and sent nothing again: one deployBegin per client, the one from A.
    await new Promise(r => setTimeout(r, 1000));
    expect(
      fleet.filter(c => c.deploysReceived.get('telemetry') !== 1).map(c => c.identity.name),
    ).toEqual([]);
    expect(fleet.every(c => c.slots.get('telemetry')?.state === 'running')).toBe(true);
  }, 120_000);

  it('backs off per round while no gateway answers, and connects when one comes back', async () => {
    await killed(a.child); // by the test above; again if it failed before
    // A is gone. fo-wait (registered on both) enrolls at B, then knows only A and a
    // dead address.
    const enrolling = new DeviceClient(await DeviceIdentity.create('fo-wait'), b.address);
    await enrolling.enroll('token-fo-wait-0123456789');
    const dead = await deadAddress(a.address.caPem);
    const client = new DeviceClient(enrolling.identity, [a.address, dead]);
    clients.push(client);
    const dials: number[] = [];
    const dial = client.connect.bind(client);
    client.connect = options => {
      dials.push(Date.now());
      return dial(options);
    };
    // random() just below 1: every wait is (almost) its whole bound, so the rounds show.
    const welcomed = client.keepConnected({
      heartbeats: false,
      policy: { firstDelayMs: 600, maxDelayMs: 2400, random: () => 0.999 },
    });
    await until(() => dials.length >= 8, 15_000);
    // Two dials per round, one right after the other; between rounds 600, 1200, 2400 ms (the cap).
    const gaps = dials.slice(1, 8).map((d, i) => d - dials[i]!);
    expect(gaps.filter((_, i) => i % 2 === 0).every(g => g < 300)).toBe(true);
    const [w1, w2, w3] = gaps.filter((_, i) => i % 2 === 1);
    expect(w1).toBeGreaterThanOrEqual(590);
    expect(w1).toBeLessThan(1000);
    expect(w2).toBeGreaterThanOrEqual(1190);
    expect(w2).toBeLessThan(1700);
    expect(w3).toBeGreaterThanOrEqual(2390);
    expect(w3).toBeLessThan(3000);
    expect(client.sessions).toBe(0);

    // A comes back on its ports with its state: the client's next round reaches it.
    a = await startFixtureGateway(dirA, { port: a.address.port, enrollPort: a.address.enrollPort });
    await welcomed;
    expect(client.lastConnected).toMatchObject({ index: 0, session: 1 });
    expect(client.lastConnected!.attempts).toBeGreaterThan(8);
  }, 60_000);

  it('leaves a gateway that stops answering heartbeats (SIGSTOP) for the next', async () => {
    await until(() => a.child.exitCode === null && a.child.signalCode === null && a, 1000);
    const client = new DeviceClient(await DeviceIdentity.create('fo-hung'), [b.address, a.address]);
    clients.push(client);
    await client.enroll('token-fo-hung-0123456789');
    await client.keepConnected({
      heartbeatIntervalMs: 300,
      requestTimeoutMs: 500,
      policy: { firstDelayMs: 200, missedHeartbeats: 2 },
    });
    expect(client.lastConnected).toMatchObject({ index: 0, session: 1 });
    await until(() => client.heartbeatRtts.length >= 2, 5000);
    const moved = new Promise<Connected>(r => client.once('connected', r));
    const closed = new Promise<string>(r => client.once('closed', r));
    // B's process stops: its sockets stay open, nothing answers (a hung host, no FIN, no RST).
    b.child.kill('SIGSTOP');
    try {
      const stoppedAt = Date.now();
      expect(await closed).toBe('no heartbeatAck');
      const connected = await moved;
      expect(connected).toMatchObject({ index: 1, session: 2 });
      // Two heartbeats unanswered (each given 500 ms), then at most 200 ms of jitter.
      expect(connected.droppedAtMs! - stoppedAt).toBeGreaterThanOrEqual(500);
      expect(connected.droppedAtMs! - stoppedAt).toBeLessThan(3000);
    } finally {
      b.child.kill('SIGCONT');
    }
  }, 30_000);
});
