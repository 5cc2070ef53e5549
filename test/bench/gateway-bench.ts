/**
 * Gateway benchmark: a real gateway process and N devices from one load-generator process, on
 * loopback. Prints progress to stderr and one JSON line of figures to stdout, last. In the same
 * run, the same mutual-TLS 1.3 handshake load is sent to Debian's mosquitto (require_certificate)
 * for a ratio.
 *
 *   npm run gateway:bench -- --sessions 10000
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { DeviceClient, type GatewayAddress } from '../../gateway/src/client/deviceClient';
import { connectFleet, enrollFleet, withConcurrency } from '../../gateway/src/client/loadGenerator';
import { wasmModule } from '../../gateway/src/testSupport';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    handshakes: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '6' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'measure-s': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '64' },
  },
});
const N = Number(values.sessions);
const HANDSHAKES = Math.min(Number(values.handshakes), N);
const ROUNDS = Number(values.rounds);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const MEASURE_MS = Number(values['measure-s']) * 1000;
const CONCURRENCY = Number(values.concurrency);
const root = path.resolve(__dirname, '../..');
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits (up to 20 s) until a process uses under 2% of a core over a second. */
async function settle(pid: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const before = cpuSeconds(pid);
    await new Promise(r => setTimeout(r, 1000));
    if (cpuSeconds(pid) - before < 0.02) return;
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The admin API's bearer token, which the gateway writes to its data directory. */
let adminHeaders: Record<string, string> = {};
function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...adminHeaders, ...(init.headers ?? {}) } });
}

async function waitForHttp(url: string, child: ChildProcess, tokenFile: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      adminHeaders = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
      if ((await adminFetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>(r => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open`);
}

interface Handshakes {
  ok: number;
  failures: number;
  ms: number;
  serverCpuS: number;
  clientCpuS: number;
}

/**
 * Full mutual-TLS 1.3 handshakes against a port, one per device; a handshake counts once the
 * server has sent its session ticket, which it does only after verifying the client
 * certificate.
 */
async function handshakeBatch(
  port: number,
  serverPid: number,
  devices: DeviceClient[],
  localAddress: string,
): Promise<Handshakes> {
  let failures = 0;
  for (const d of devices) d.secureContext(); // built before the clock starts, for both peers alike
  await settle(serverPid);
  const cpuBefore = cpuSeconds(serverPid);
  const clientBefore = process.cpuUsage();
  const ms = await withConcurrency(
    devices,
    CONCURRENCY,
    d =>
      new Promise<void>(resolve => {
        const socket = tls.connect(<tls.ConnectionOptions>{
          host: '127.0.0.1',
          port,
          localAddress,
          secureContext: d.secureContext(),
          servername: 'localhost',
          minVersion: 'TLSv1.3',
        });
        const done = (ok: boolean) => {
          if (!ok) failures++;
          clearTimeout(timer);
          socket.destroy();
          resolve();
        };
        const timer = setTimeout(() => done(false), 10_000);
        socket.once('session', () => done(true));
        socket.once('error', () => done(false));
      }),
  );
  const client = process.cpuUsage(clientBefore);
  return {
    ok: devices.length - failures,
    failures,
    ms,
    serverCpuS: cpuSeconds(serverPid) - cpuBefore,
    clientCpuS: (client.user + client.system) / 1e6,
  };
}

function sum(batches: Handshakes[]) {
  const total = batches.reduce((a, b) => ({
    ok: a.ok + b.ok,
    failures: a.failures + b.failures,
    ms: a.ms + b.ms,
    serverCpuS: a.serverCpuS + b.serverCpuS,
    clientCpuS: a.clientCpuS + b.clientCpuS,
  }));
  const n = total.ok + total.failures;
  return {
    perSecond: Math.round(total.ok / (total.ms / 1000)),
    failures: total.failures,
    serverCpuMs: +((total.serverCpuS * 1000) / n).toFixed(3),
    clientCpuMs: +((total.clientCpuS * 1000) / n).toFixed(3),
  };
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'wasmbed-bench-'));
  const base = 20000 + Math.floor(Math.random() * 20000);
  const [port, enrollPort, adminPort, mqttPort] = [base, base + 1, base + 2, base + 3];
  const admin = `http://127.0.0.1:${adminPort}`;
  let gatewayProcess: ChildProcess | undefined;
  let mosquitto: ChildProcess | undefined;
  try {
    const startGateway = async () => {
      // Started the way `npm run gateway` starts it (allocator included), exec'd by the script
      // so that the pid measured is the gateway's own.
      const child = spawn(
        'bash',
        [
          path.join(root, 'gateway/scripts/gateway.sh'),
          '--port',
          String(port),
          '--enroll-port',
          String(enrollPort),
          '--admin-port',
          String(adminPort),
          '--data',
          path.join(work, 'gateway'),
          '--log-level',
          'warn',
          '--heartbeat-timeout',
          '90',
          // Every simulated device dials from one of a few loopback addresses.
          '--max-connections-per-address',
          String(N + 1000),
          '--max-connections',
          String(N + 1000),
        ],
        {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: { ...process.env, NODE: process.execPath },
        },
      );
      await waitForHttp(`${admin}/healthz`, child, path.join(work, 'gateway', 'admin.token'));
      return child;
    };
    progress(`starting gateway on ${port}`);
    gatewayProcess = await startGateway();
    const caPem = readFileSync(path.join(work, 'gateway/ca/ca.crt.pem'), 'utf8');

    progress(`registering ${N} devices`);
    const tokens = Array.from({ length: N }, (_, i) => ({
      name: `bench-${i}`,
      token: `bench-token-${i}-${Math.random().toString(36).slice(2)}`,
    }));
    await withConcurrency(tokens, 32, async t => {
      const res = await adminFetch(`${admin}/devices`, {
        method: 'POST',
        body: JSON.stringify(t),
        headers: { 'content-type': 'application/json' },
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
    progress(`enrolling ${N} devices (concurrency ${CONCURRENCY})`);
    const { devices, enrollMs } = await enrollFleet(address, tokens, {
      concurrency: CONCURRENCY,
      onProgress: (phase, done) => progress(`${phase} ${done}`),
    });

    // A gateway restarted on its data directory holds the enrolled fleet and nothing left over
    // from the enrollment storm: the baseline that sessions are measured against, and the
    // state a production gateway handshakes in.
    progress('restarting the gateway on its data directory (fleet enrolled, no sessions)');
    const exited = new Promise(r => gatewayProcess!.once('exit', r));
    gatewayProcess.kill('SIGTERM');
    await exited;
    gatewayProcess = await startGateway();
    const gwPid = gatewayProcess.pid!;
    await settle(gwPid);
    const rssBeforeKb = rssKb(gwPid);
    const heapBefore = (
      (await (await adminFetch(`${admin}/healthz`)).json()) as { memory: NodeJS.MemoryUsage }
    ).memory;

    // Handshakes first, while the gateway holds no sessions, against both servers in
    // alternating rounds (gateway first, then mosquitto first, ...) so that drift on a shared
    // machine falls on both alike. On two cores the load generator needs about as much CPU per
    // handshake as either server, so the server that spends less per handshake leaves it more
    // and gets the higher rate; the CPU figures say which.
    progress('starting mosquitto (require_certificate, TLS 1.3) on the same certificates');
    const mq = path.join(work, 'mosquitto');
    spawnSync('mkdir', ['-p', mq]);
    copyFileSync(path.join(work, 'gateway/ca/ca.crt.pem'), path.join(mq, 'ca.pem'));
    copyFileSync(path.join(work, 'gateway/server/server.crt.pem'), path.join(mq, 'server.pem'));
    copyFileSync(path.join(work, 'gateway/server/server.key.pem'), path.join(mq, 'server.key'));
    // No device is revoked here, so the gateway loads no CRL; neither does mosquitto.
    writeFileSync(
      path.join(mq, 'mosquitto.conf'),
      [
        `listener ${mqttPort} 127.0.0.1`,
        `cafile ${mq}/ca.pem`,
        `certfile ${mq}/server.pem`,
        `keyfile ${mq}/server.key`,
        'require_certificate true',
        'tls_version tlsv1.3',
        'allow_anonymous true',
        'persistence false',
        'log_dest none',
        'user root',
        'max_connections -1',
        '',
      ].join('\n'),
    );
    mosquitto = spawn('mosquitto', ['-c', path.join(mq, 'mosquitto.conf')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitForPort(mqttPort, mosquitto);
    const rounds = Math.max(1, Math.min(ROUNDS, HANDSHAKES));
    const perRound = Math.floor(HANDSHAKES / rounds);
    const peers = {
      gateway: { port, pid: gwPid, localAddress: '127.0.0.12', batches: [] as Handshakes[] },
      mosquitto: {
        port: mqttPort,
        pid: mosquitto.pid!,
        localAddress: '127.0.0.13',
        batches: [] as Handshakes[],
      },
    };
    for (let r = 0; r < rounds; r++) {
      const sample = devices.slice(r * perRound, (r + 1) * perRound);
      const order =
        r % 2 === 0 ? (['gateway', 'mosquitto'] as const) : (['mosquitto', 'gateway'] as const);
      for (const name of order) {
        const peer = peers[name];
        progress(`handshakes, round ${r + 1}/${rounds}: ${sample.length} against ${name}`);
        const batch = await handshakeBatch(peer.port, peer.pid, sample, peer.localAddress);
        peer.batches.push(batch);
        progress(
          `  ${Math.round(batch.ok / (batch.ms / 1000))}/s, server ${((batch.serverCpuS * 1000) / sample.length).toFixed(2)} ms CPU each`,
        );
      }
    }
    const gatewayHandshakes = sum(peers.gateway.batches);
    const mosquittoHandshakes = sum(peers.mosquitto.batches);
    mosquitto.kill('SIGTERM');

    progress(`connecting ${N} devices`);
    const connectMs = await connectFleet(devices, {
      concurrency: CONCURRENCY,
      localAddress: '127.0.0.11',
      // Devices heartbeat at the gateway's interval from the moment they connect, so none
      // times out while the rest of the fleet is still connecting.
      heartbeats: true,
      onProgress: (phase, done) => progress(`${phase} ${done}`),
    });
    type Health = { sessions: number; memory: NodeJS.MemoryUsage };
    const health = (await (await adminFetch(`${admin}/healthz`)).json()) as Health;
    progress(`gateway holds ${health.sessions} sessions`);

    progress(
      `heartbeats every ${HEARTBEAT_MS} ms from each device; measuring ${MEASURE_MS / 1000} s`,
    );
    for (const d of devices) {
      d.heartbeatRtts = [];
      setTimeout(() => d.startHeartbeats(HEARTBEAT_MS), Math.random() * HEARTBEAT_MS).unref();
    }
    await new Promise(r => setTimeout(r, MEASURE_MS));
    const rtts = devices.flatMap(d => d.heartbeatRtts);
    const rssAfterKb = rssKb(gwPid);
    const heapAfter = ((await (await adminFetch(`${admin}/healthz`)).json()) as Health).memory;
    const closedDuringRun = devices.filter(d => d.connection?.closed).length;

    progress('deploy fan-out: a 16 KB module to every device');
    const module = wasmModule(
      [{ module: 'wasmbed', name: 'log', params: 'iii', results: '' }],
      16 * 1024,
    );
    const live = devices.filter(d => !d.connection?.closed);
    const deployed = Promise.all(live.map(d => new Promise(r => d.once('deployed', r))));
    const fanoutTimeout = new Promise((_, reject) =>
      setTimeout(
        () => reject(new Error('deploy fan-out did not finish in 300 s')),
        300_000,
      ).unref(),
    );
    const fanoutStart = performance.now();
    const res = await adminFetch(`${admin}/deploy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        app: 'fanout',
        module: Buffer.from(module).toString('base64'),
        devices: devices.map(d => d.identity.name),
      }),
    });
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`);
    await Promise.race([deployed, fanoutTimeout]);
    const fanoutMs = performance.now() - fanoutStart;
    const moduleSha = createHash('sha256').update(module).digest('hex');
    const wrongHash = live.filter(d => d.slots.get('fanout')?.sha256 !== moduleSha).length;

    for (const d of devices) d.close();

    const result = {
      gatewayAllocator: readFileSync(`/proc/${gwPid}/maps`, 'utf8').includes('libjemalloc')
        ? 'jemalloc'
        : 'glibc',
      sessions: health.sessions,
      sessionsTarget: N,
      sessionsClosedDuringRun: closedDuringRun,
      enrollmentsPerSecond: Math.round(N / (enrollMs / 1000)),
      sessionSetupsPerSecond: Math.round(N / (connectMs / 1000)),
      gatewayRssNoSessionsMiB: +(rssBeforeKb / 1024).toFixed(1),
      gatewayRssWithSessionsMiB: +(rssAfterKb / 1024).toFixed(1),
      rssPerSessionKiB: +((rssAfterKb - rssBeforeKb) / N).toFixed(1),
      jsHeapPerSessionKiB: +((heapAfter.heapUsed - heapBefore.heapUsed) / 1024 / N).toFixed(1),
      heartbeats: rtts.length,
      heartbeatP50Ms: +percentile(rtts, 50).toFixed(2),
      heartbeatP99Ms: +percentile(rtts, 99).toFixed(2),
      deployFanoutSeconds: +(fanoutMs / 1000).toFixed(2),
      deployModuleBytes: module.length,
      deployDevices: live.length,
      deployWrongHash: wrongHash,
      handshakesPerSecond: gatewayHandshakes.perSecond,
      handshakeFailures: gatewayHandshakes.failures,
      mosquittoHandshakesPerSecond: mosquittoHandshakes.perSecond,
      mosquittoHandshakeFailures: mosquittoHandshakes.failures,
      handshakeRounds: rounds,
      serverCpuMsPerHandshake: gatewayHandshakes.serverCpuMs,
      mosquittoServerCpuMsPerHandshake: mosquittoHandshakes.serverCpuMs,
      loadGeneratorCpuMsPerHandshake: {
        gateway: gatewayHandshakes.clientCpuMs,
        mosquitto: mosquittoHandshakes.clientCpuMs,
      },
      handshakeRatioVsMosquitto: +(
        gatewayHandshakes.perSecond / mosquittoHandshakes.perSecond
      ).toFixed(2),
    };
    console.log(JSON.stringify(result));
  } finally {
    gatewayProcess?.kill('SIGTERM');
    mosquitto?.kill('SIGTERM');
    await new Promise(r => setTimeout(r, 500));
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  err => {
    console.error(`gateway:bench failed: ${(err as Error).stack}`);
    process.exit(1);
  },
);
