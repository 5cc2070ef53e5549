/**
 * Network fuzzer against a live gateway: the proof that no input ends the process.
 *
 * Starts a real gateway as a child process (gateway/scripts/gateway.sh --fixture, as
 * `npm run gateway:fixture` does: the production listeners, sessions and enrollment on the
 * fixture control plane, not on the API server), enrolls and connects --sessions devices with the TypeScript device client, which
 * heartbeat throughout, then for --seconds opens connections to both ports and sends generated
 * and mutated frames (test/fuzz/frames.ts), split at random write boundaries, some closed
 * abruptly: to the enrollment port (TLS, no client certificate), to the device port with an
 * enrolled device's certificate before and after a valid hello, to the device port without a
 * certificate, and as plain TCP. At the end it checks the gateway never exited, every session
 * is still up with no heartbeat failure, and the gateway still enrolls and serves a new device.
 *
 *   npm run gateway:fuzz -- --seconds 60 --sessions 200 [--workers 16] [--seed N]
 *
 * Prints figures as one JSON line, then "gateway-fuzz: N passed, M failed"; exits non-zero on
 * a failure. If the gateway exits, the inputs of the connections open at that moment and the
 * gateway's last output are written to the run's directory, which is kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { DeviceClient, type GatewayAddress } from '../../gateway/src/client/deviceClient';
import { connectFleet, enrollFleet, withConcurrency } from '../../gateway/src/client/loadGenerator';
import { DEVICE_TLS_GROUPS, tlsProfile } from '../../gateway/src/transport/tlsProfile';
import { FrameGenerator, Rng } from './frames';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    sessions: { type: 'string', default: '200' },
    workers: { type: 'string', default: '16' },
    'fuzz-devices': { type: 'string', default: '12' },
    'heartbeat-ms': { type: 'string', default: '2000' },
    seed: { type: 'string' },
    // Another checkout's gateway (e.g. a worktree of an older commit) to fuzz instead of this one.
    'gateway-dir': { type: 'string' },
    // Comma-separated subset of the connection scenarios (default: all), e.g. to see which one
    // a resource growth comes from.
    scenarios: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const SESSIONS = Number(values.sessions);
const WORKERS = Number(values.workers);
const FUZZ_DEVICES = Number(values['fuzz-devices']);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const SEED = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const SESSIONS_PER_ADDRESS = 50;
if (SESSIONS > SESSIONS_PER_ADDRESS * 8)
  throw new Error(`--sessions: at most ${SESSIONS_PER_ADDRESS * 8}`);
const root = path.resolve(__dirname, '../..');
const gatewayDir = path.resolve(values['gateway-dir'] ?? path.join(root, 'gateway'));
const progress = (msg: string) => process.stderr.write(`[fuzz] ${msg}\n`);
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

type Scenario =
  | 'enroll'
  | 'device-before-hello'
  | 'device-after-hello'
  | 'device-no-certificate'
  | 'plain-tcp'
  | 'abrupt-handshake';
const ALL_SCENARIOS: Scenario[] = [
  'enroll',
  'enroll',
  'enroll',
  'device-before-hello',
  'device-before-hello',
  'device-after-hello',
  'device-after-hello',
  'device-after-hello',
  'device-no-certificate',
  'plain-tcp',
  'abrupt-handshake',
];
const SCENARIOS = values.scenarios
  ? ALL_SCENARIOS.filter(x => values.scenarios!.split(',').includes(x))
  : ALL_SCENARIOS;
if (SCENARIOS.length === 0) throw new Error(`--scenarios: none of ${values.scenarios} is known`);

/** What one connection sent, kept for the crash report. */
interface Sent {
  id: number;
  scenario: Scenario;
  startedMs: number;
  /** For plain TCP: which port. */
  port?: number;
  writes: string[];
  endedMs?: number;
}

const stats = {
  connections: 0,
  connectionsByScenario: {} as Record<string, number>,
  handshakeRefusals: 0,
  frames: 0,
  bytes: 0,
  repliesFromGateway: 0,
  closedByGateway: 0,
  closedByUs: 0,
  heartbeatsOk: 0,
  heartbeatFailures: [] as string[],
  sessionsClosed: [] as string[],
  rssMaxKb: 0,
};

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  } catch {
    return 0;
  }
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`gateway exited during start (${child.exitCode ?? child.signalCode})`);
    try {
      await fetch(url); // any answer (401 without the admin token too) means it is up
      return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Three consecutive free ports (device, enrollment, admin): other suites run gateways too. */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    if ((await portFree(base)) && (await portFree(base + 1)) && (await portFree(base + 2)))
      return base;
  }
  throw new Error('no three consecutive free ports found');
}

/** Ends a connection with a TCP reset where the socket allows it, else just drops it. */
function reset(socket: net.Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

class Fuzzer {
  private readonly recent: Sent[] = [];
  private nextId = 0;
  private stopped = false;

  constructor(
    private readonly address: GatewayAddress,
    private readonly fuzzDevices: DeviceClient[],
    private readonly rng: Rng,
    private readonly gen: FrameGenerator,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /** Connections open within a second of `atMs` (a crash), most recent first. */
  suspects(atMs: number): Sent[] {
    return this.recent
      .filter(c => c.startedMs <= atMs && (c.endedMs === undefined || c.endedMs >= atMs - 1000))
      .reverse();
  }

  /**
   * Sends one recorded connection's bytes again, write by write, and waits a moment: used after
   * a crash, against the restarted gateway, to find the input that ends it.
   */
  async replay(sent: Sent): Promise<void> {
    const socket = this.open({ ...sent, writes: [] });
    socket.on('error', () => {});
    const ready = sent.scenario === 'plain-tcp' ? 'connect' : 'secureConnect';
    const ok = await Promise.race([
      new Promise<boolean>(res => socket.once(ready, () => res(true))),
      new Promise<boolean>(res => socket.once('close', () => res(false))),
      sleep(5000).then(() => false),
    ]);
    if (ok) for (const w of sent.writes) socket.write(Buffer.from(w, 'hex'));
    await sleep(500);
    socket.destroy();
  }

  async worker(deadline: number): Promise<void> {
    while (!this.stopped && Date.now() < deadline) {
      try {
        await this.connection(this.rng.pick(SCENARIOS));
      } catch {
        // a refused or reset connection is an expected outcome, not the fuzzer's failure
      }
    }
  }

  private record(scenario: Scenario): Sent {
    const sent: Sent = {
      id: this.nextId++,
      scenario,
      startedMs: Date.now(),
      writes: [],
    };
    this.recent.push(sent);
    if (this.recent.length > 1024) this.recent.splice(0, this.recent.length - 1024);
    stats.connections++;
    stats.connectionsByScenario[scenario] = (stats.connectionsByScenario[scenario] ?? 0) + 1;
    return sent;
  }

  private localAddress(): string {
    // Fuzz traffic comes from its own loopback addresses: per-address limits may refuse it,
    // and must not touch the sessions, which come from 127.0.0.11 to .18.
    return `127.0.0.${20 + this.rng.int(8)}`;
  }

  private async connection(scenario: Scenario): Promise<void> {
    const sent = this.record(scenario);
    const socket = this.open(sent);
    try {
      await this.drive(socket, scenario, sent);
    } finally {
      sent.endedMs = Date.now();
      socket.destroy();
    }
  }

  private open(sent: Sent): net.Socket {
    const r = this.rng;
    const common = {
      host: this.address.host,
      localAddress: this.localAddress(),
      servername: 'localhost',
      ...tlsProfile(DEVICE_TLS_GROUPS),
    };
    switch (sent.scenario) {
      case 'plain-tcp':
        sent.port ??= r.chance(0.5) ? this.address.port : this.address.enrollPort;
        return net.connect({
          host: this.address.host,
          port: sent.port,
          localAddress: common.localAddress,
        });
      case 'enroll':
        return tls.connect({ ...common, port: this.address.enrollPort, ca: [this.address.caPem] });
      case 'device-no-certificate':
        return tls.connect({ ...common, port: this.address.port, ca: [this.address.caPem] });
      default:
        return tls.connect({
          ...common,
          port: this.address.port,
          secureContext: r.pick(this.fuzzDevices).secureContext(),
        });
    }
  }

  private async drive(socket: net.Socket, scenario: Scenario, sent: Sent): Promise<void> {
    const r = this.rng;
    let closed = false;
    socket.on('data', (d: Buffer) => (stats.repliesFromGateway += d.length > 0 ? 1 : 0));
    socket.on('error', () => {});
    const closedPromise = new Promise<void>(resolve =>
      socket.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    const ready = scenario === 'plain-tcp' ? 'connect' : 'secureConnect';
    const connected = await Promise.race([
      new Promise<boolean>(res => socket.once(ready, () => res(true))),
      closedPromise.then(() => false),
      sleep(10_000).then(() => false),
    ]);
    if (scenario === 'abrupt-handshake' || !connected) {
      if (!connected) stats.handshakeRefusals++;
      // Cut the connection mid-handshake or right after it, without a TLS close.
      reset(socket);
      return;
    }
    const write = async (bytes: Uint8Array) => {
      // Random write boundaries: whole, byte by byte, or in random pieces with pauses.
      let at = 0;
      while (at < bytes.length && !closed) {
        const n = r.pick([bytes.length, 1, r.range(1, 8), r.range(1, 512)]);
        const piece = bytes.subarray(at, at + n);
        at += piece.length;
        sent.writes.push(Buffer.from(piece).toString('hex'));
        stats.bytes += piece.length;
        socket.write(piece);
        if (r.chance(0.1)) await sleep(r.int(20));
      }
    };
    if (scenario === 'plain-tcp') {
      await write(
        r.pick([
          r.bytes(r.range(1, 600)),
          new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
          Uint8Array.from([0x16, 0x03, 0x01, 0xff, 0xff, ...r.bytes(50)]),
          this.gen.frame(this.gen.payload()),
        ]),
      );
    } else {
      if (scenario === 'device-after-hello') {
        const hello = this.gen.hello(r.int(1000));
        const frame = new Uint8Array(4 + hello.length);
        new DataView(frame.buffer).setUint32(0, hello.length);
        frame.set(hello, 4);
        await write(frame);
        await Promise.race([
          new Promise(res => socket.once('data', res)),
          closedPromise,
          sleep(3000),
        ]);
      }
      const frames = r.range(1, 8);
      for (let i = 0; i < frames && !closed && !this.stopped; i++) {
        await write(this.gen.frame(this.gen.payload()));
        stats.frames++;
      }
      if (r.chance(0.15)) await write(r.bytes(r.range(1, 5000))); // valid-then-garbage
    }
    // End it: abruptly, with a TLS close, or by waiting for the gateway to close it.
    const ending = r.int(3);
    if (ending === 0) {
      stats.closedByUs++;
      reset(socket);
    } else if (ending === 1) {
      stats.closedByUs++;
      socket.end();
      await Promise.race([closedPromise, sleep(1000)]);
    } else {
      await Promise.race([closedPromise, sleep(r.range(100, 2000))]);
      if (closed) stats.closedByGateway++;
      else stats.closedByUs++;
    }
  }
}

async function main(): Promise<number> {
  const work = mkdtempSync(path.join(tmpdir(), 'wasmbed-fuzz-'));
  const base = await freePortBase();
  const [port, enrollPort, adminPort] = [base, base + 1, base + 2];
  const admin = `http://127.0.0.1:${adminPort}`;
  const dataDir = path.join(work, 'gateway');
  const gatewayLog = path.join(work, 'gateway.log');
  const logFd = openSync(gatewayLog, 'a');
  const checks: [string, boolean, string?][] = [];
  let keep = false;
  let exit: { code: number | null; signal: NodeJS.Signals | null; atMs: number } | undefined;
  const started = Date.now();
  progress(`seed ${SEED}; gateway from ${gatewayDir}; work dir ${work}`);

  // Started the way `npm run gateway` starts it; the script execs node, so the pid is the
  // gateway's own.
  let fuzzer: Fuzzer | undefined;
  const startGateway = () => {
    const child = spawn(
      'bash',
      [
        path.join(gatewayDir, 'scripts/gateway.sh'),
        // The fixture gateway (journal control plane + admin API): the wire, sessions and
        // enrollment code under fuzz are the production gateway's; its API side is not fuzzed.
        '--fixture',
        '--port',
        String(port),
        '--enroll-port',
        String(enrollPort),
        '--admin-port',
        String(adminPort),
        '--data',
        dataDir,
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', logFd, logFd], env: { ...process.env, NODE: process.execPath } },
    );
    exit = undefined;
    child.once('exit', (code, signal) => {
      exit = { code, signal, atMs: Date.now() };
      // Stop at once, so the connections that ended it are still in the record.
      fuzzer?.stop();
      progress(`GATEWAY EXITED (code ${code}, signal ${signal})`);
    });
    return child;
  };
  let gateway = startGateway();
  const alive = () => exit === undefined;
  const devices: DeviceClient[] = [];
  try {
    await waitForHttp(`${admin}/healthz`, gateway);
    const caPem = readFileSync(path.join(dataDir, 'ca/ca.crt.pem'), 'utf8');
    const adminHeaders = (): Record<string, string> => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // The admin API wants the bearer token the gateway keeps in its data directory.
      const tokenFile = path.join(dataDir, 'admin.token');
      if (existsSync(tokenFile))
        headers.authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
      return headers;
    };

    const total = SESSIONS + FUZZ_DEVICES + 1;
    progress(
      `registering ${total} devices (${SESSIONS} sessions, ${FUZZ_DEVICES} fuzz identities, 1 spare)`,
    );
    const tokens = Array.from({ length: total }, (_, i) => ({
      name: i < SESSIONS ? `live-${i}` : i < total - 1 ? `fuzz-${i - SESSIONS}` : 'spare',
      token: `fuzz-token-${i}-${Math.random().toString(36).slice(2)}`,
    }));
    await withConcurrency(tokens, 16, async t => {
      const res = await fetch(`${admin}/devices`, {
        method: 'POST',
        headers: adminHeaders(),
        body: JSON.stringify(t),
      });
      if (res.status !== 201)
        throw new Error(`register ${t.name}: ${res.status} ${await res.text()}`);
    });

    const address: GatewayAddress = {
      host: '127.0.0.1',
      port,
      enrollPort,
      caPem,
      localAddress: '127.0.0.10',
    };
    progress(`enrolling ${total - 1} devices`);
    const { devices: enrolled } = await enrollFleet(address, tokens.slice(0, total - 1), {
      concurrency: 16,
    });
    const live = enrolled.slice(0, SESSIONS);
    const fuzzIdentities = enrolled.slice(SESSIONS);
    devices.push(...enrolled);

    progress(`connecting ${SESSIONS} sessions`);
    // 50 sessions per source address (127.0.0.11, .12, ...), under the gateway's per-address
    // connection cap, as a fleet behind a few NATs would come.
    for (let i = 0; i < live.length; i += SESSIONS_PER_ADDRESS) {
      await connectFleet(live.slice(i, i + SESSIONS_PER_ADDRESS), {
        concurrency: 16,
        localAddress: `127.0.0.${11 + i / SESSIONS_PER_ADDRESS}`,
        heartbeats: false,
      });
    }
    let fuzzing = false;
    for (const d of live) {
      d.on('closed', reason => {
        if (fuzzing) stats.sessionsClosed.push(`${d.identity.name}: ${reason}`);
      });
    }
    // Each session heartbeats on its own timer, from a random phase; every failure counts.
    const heartbeatTimers = live.map(d =>
      setTimeout(() => {
        const beat = () =>
          d.heartbeat().then(
            () => void stats.heartbeatsOk++,
            err => {
              if (fuzzing)
                stats.heartbeatFailures.push(`${d.identity.name}: ${(err as Error).message}`);
            },
          );
        void beat();
        heartbeatTimers.push(setInterval(beat, HEARTBEAT_MS));
      }, Math.random() * HEARTBEAT_MS),
    );

    const rssBeforeKb = rssKb(gateway.pid!);
    const rng = new Rng(SEED);
    fuzzer = new Fuzzer(
      address,
      fuzzIdentities,
      rng,
      // Every registered name but the spare's, which must stay enrollable for the last check.
      new FrameGenerator(
        rng,
        tokens.slice(0, total - 1).map(t => t.name),
      ),
    );
    progress(`fuzzing for ${SECONDS} s with ${WORKERS} workers`);
    fuzzing = true;
    const fuzzStart = Date.now();
    const deadline = fuzzStart + SECONDS * 1000;
    const monitor = setInterval(() => {
      stats.rssMaxKb = Math.max(stats.rssMaxKb, rssKb(gateway.pid!));
      if (!alive()) fuzzer!.stop();
    }, 1000);
    const report = setInterval(
      () =>
        progress(
          `${Math.round((Date.now() - fuzzStart) / 1000)} s: ${stats.connections} connections, ${stats.frames} frames, ` +
            `${stats.heartbeatsOk} heartbeats ok, ${stats.heartbeatFailures.length} failed, ` +
            `gateway RSS ${(rssKb(gateway.pid!) / 1024).toFixed(0)} MiB`,
        ),
      10_000,
    );
    await Promise.all(Array.from({ length: WORKERS }, () => fuzzer!.worker(deadline)));
    const fuzzMs = Date.now() - fuzzStart;
    clearInterval(report);
    // Let the sessions heartbeat a while longer after the storm, then stop counting.
    if (alive()) await sleep(Math.min(2 * HEARTBEAT_MS, 5000));
    fuzzing = false;
    clearInterval(monitor);
    for (const t of heartbeatTimers) clearInterval(t);

    checks.push([
      'the gateway process never exited',
      alive(),
      exit &&
        `exit code ${exit.code}, signal ${exit.signal}, ${((exit.atMs - fuzzStart) / 1000).toFixed(1)} s into fuzzing`,
    ]);
    checks.push([
      `no heartbeat failure among the ${SESSIONS} sessions`,
      stats.heartbeatFailures.length === 0,
      stats.heartbeatFailures.slice(0, 5).join('; '),
    ]);
    checks.push([
      `all ${SESSIONS} sessions stayed connected`,
      stats.sessionsClosed.length === 0,
      stats.sessionsClosed.slice(0, 5).join('; '),
    ]);
    const minBeats = Math.floor(fuzzMs / HEARTBEAT_MS / 2) * SESSIONS;
    checks.push([
      `sessions kept heartbeating (${stats.heartbeatsOk} acks, at least ${minBeats} expected)`,
      stats.heartbeatsOk >= minBeats,
    ]);
    let finalBeats = 0;
    if (alive()) {
      await withConcurrency(live, 32, async d => {
        try {
          await d.heartbeat();
          finalBeats++;
        } catch {
          // counted below
        }
      });
    }
    checks.push([
      `every session answers a heartbeat after the run`,
      finalBeats === SESSIONS,
      `${finalBeats}/${SESSIONS}`,
    ]);
    let spareOk = false;
    let spareWhy = '';
    if (alive()) {
      try {
        const [spare] = (await enrollFleet(address, tokens.slice(total - 1))).devices;
        devices.push(spare!);
        await spare!.connect({ heartbeats: false });
        await spare!.heartbeat();
        spareOk = true;
      } catch (err) {
        spareWhy = (err as Error).message;
      }
    }
    checks.push(['the gateway still enrolls and serves a new device', spareOk, spareWhy]);
    let sessionsHeld = -1;
    try {
      sessionsHeld = (
        (await (await fetch(`${admin}/healthz`, { headers: adminHeaders() })).json()) as {
          sessions: number;
        }
      ).sessions;
    } catch {
      // gateway gone; already a failed check
    }

    const figures = {
      seed: SEED,
      durationS: +(fuzzMs / 1000).toFixed(1),
      connections: stats.connections,
      connectionsPerSecond: Math.round(stats.connections / (fuzzMs / 1000)),
      connectionsByScenario: stats.connectionsByScenario,
      handshakesRefusedOrFailed: stats.handshakeRefusals,
      frames: stats.frames,
      bytes: stats.bytes,
      closedByGateway: stats.closedByGateway,
      closedByFuzzer: stats.closedByUs,
      sessions: SESSIONS,
      sessionsAlive: live.filter(d => d.connection && !d.connection.closed).length,
      sessionsHeldByGateway: sessionsHeld,
      heartbeatsOk: stats.heartbeatsOk,
      heartbeatFailures: stats.heartbeatFailures.length,
      gatewayAlive: alive(),
      gatewayRssBeforeMiB: +(rssBeforeKb / 1024).toFixed(1),
      gatewayRssMaxMiB: +(stats.rssMaxKb / 1024).toFixed(1),
      gatewayRssEndMiB: alive() ? +(rssKb(gateway.pid!) / 1024).toFixed(1) : null,
      wallS: Math.round((Date.now() - started) / 1000),
    };
    say(JSON.stringify(figures));
  } catch (err) {
    checks.push(['the run completed', false, (err as Error).message]);
  } finally {
    for (const d of devices) d.close();
    if (!alive() && fuzzer) {
      keep = true;
      const crashAt = exit!.atMs;
      const suspects = fuzzer.suspects(crashAt);
      const crash = path.join(work, 'crash-inputs.json');
      writeFileSync(crash, JSON.stringify(suspects, null, 1));
      progress(`gateway output (last 30 lines of ${gatewayLog}):`);
      const lines = readFileSync(gatewayLog, 'utf8').trimEnd().split('\n');
      for (const l of lines.slice(-30)) process.stderr.write(`  | ${l.slice(0, 300)}\n`);
      progress(`${suspects.length} connections were open within 1 s of the exit: ${crash}`);
      // Find the one that ends it: restart the gateway on its data directory (same CA and
      // devices) and send each suspect's bytes again, one connection at a time.
      for (const suspect of suspects) {
        if (!alive()) {
          gateway = startGateway();
          await waitForHttp(`${admin}/healthz`, gateway).catch(() => {});
        }
        await fuzzer.replay(suspect).catch(() => {});
        await sleep(300);
        if (!alive()) {
          const input = suspect.writes.join('');
          const file = path.join(work, 'crash-input.json');
          writeFileSync(file, JSON.stringify(suspect, null, 1));
          progress(
            `REPRODUCED: replaying connection ${suspect.id} (${suspect.scenario}, ${input.length / 2} bytes) ends the gateway again; ${file}`,
          );
          progress(`  bytes: ${input.slice(0, 600)}${input.length > 600 ? '...' : ''}`);
          checks.push(['the crash input was isolated', true]);
          break;
        }
      }
    }
    if (alive()) {
      const exited = new Promise(r => gateway.once('exit', r));
      gateway.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (alive()) gateway.kill('SIGKILL');
    }
  }
  let passed = 0;
  let failed = 0;
  for (const [name, ok, detail] of checks) {
    say(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? `: ${detail}` : ''}`);
    if (ok) passed++;
    else failed++;
  }
  if (failed > 0) keep = true;
  if (!keep) rmSync(work, { recursive: true, force: true });
  else progress(`kept ${work}`);
  say(`gateway-fuzz: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  code => process.exit(code),
  err => {
    process.stderr.write(`gateway-fuzz: ${(err as Error).stack}\n`);
    say('gateway-fuzz: 0 passed, 1 failed');
    process.exit(1);
  },
);
