/**
 * Gateway benchmark on the Kubernetes API: the embedded API server and one gateway process
 * (`npm run gateway`, as `./wasmbed up` starts them: scripts/platform), N Devices with
 * bootstrap-token Secrets created through the API, and N simulated devices from this process on
 * loopback that enroll, hold sessions and heartbeat. In the same run the same mutual-TLS 1.3
 * handshakes go to Debian's mosquitto (require_certificate) for a comparison of server CPU.
 * Progress on stderr, one JSON line of figures on stdout, last. test/bench/README.md says what
 * each figure is.
 *
 *   npm run gateway:bench -- --sessions 10000
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { GatewayAddress } from '../../gateway/src/client/deviceClient';
import { connectFleet, enrollFleet } from '../../gateway/src/client/loadGenerator';
import { freePort } from '../../scripts/platform/ports';
import { startPlatform, type Platform } from '../../scripts/platform/platform';
import { ApiClient } from './apiBenchHttp';
import { countWrites, registerFleet, type PhaseWrites } from './gatewayBenchApi';
import {
  handshakeBatch,
  rssKb,
  settle,
  startMosquitto,
  sumHandshakes,
  type Handshakes,
} from './gatewayBenchHandshakes';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    handshakes: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '6' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'measure-s': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '64' },
    'keep-dir': { type: 'boolean', default: false },
  },
});
const N = Number(values.sessions);
const HANDSHAKES = Math.min(Number(values.handshakes), N);
const ROUNDS = Number(values.rounds);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const MEASURE_MS = Number(values['measure-s']) * 1000;
const CONCURRENCY = Number(values.concurrency);
// Long enough for one write per device at the writer's default 100/s, and half as much again.
const DRAIN_MS = Math.max(30_000, N * 15);
const GATEWAY = 'bench-gw';
const NAMESPACE = 'default';
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Health {
  sessions: number;
  pendingWrites: number;
  memory: NodeJS.MemoryUsage;
}

async function health(platform: Platform): Promise<Health> {
  const port = platform.gateways.get(GATEWAY)!.port + 2;
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  if (res.status !== 200) throw new Error(`gateway /healthz: ${res.status}`);
  return (await res.json()) as Health;
}

/**
 * Waits (up to `ms`) until the gateway has no status write left to make; returns how many are
 * left. Its writer's budget (--writes-per-second, default 100) sets how long that takes.
 */
async function drained(platform: Platform, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let h = await health(platform);
  while (h.pendingWrites > 0 && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 500));
    h = await health(platform);
  }
  return h.pendingWrites;
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'wasmbed-gwbench-'));
  let platform: Platform | undefined;
  let mosquitto: ChildProcess | undefined;
  let admin: ApiClient | undefined;
  try {
    // The platform as `./wasmbed up` runs it: the controllers too (they make the system
    // namespace the fleet CA lives in, put their finalizer on every Device and write its
    // conditions), so the API server's write rate is the whole platform's.
    progress(`starting the API server, the controllers and gateway ${GATEWAY} (${work})`);
    platform = await startPlatform({
      dir: path.join(work, 'platform'),
      namespace: NAMESPACE,
      gateways: [GATEWAY],
      gatewayArgs: [
        '--log-level',
        'warn',
        '--heartbeat-timeout',
        '90',
        '--capacity',
        String(N),
        // Every simulated device dials from one of a few loopback addresses.
        '--max-connections-per-address',
        String(N + 1000),
        '--max-connections',
        String(N + 1000),
      ],
      log: line => progress(line),
    });
    const apiPid = platform.api.pid;
    admin = new ApiClient(
      { url: platform.apiUrl, caPem: platform.caPem },
      platform.admin.token,
      32,
    );

    progress(`registering ${N} Devices with bootstrap-token Secrets (32 requests at a time)`);
    const registerStart = performance.now();
    const fleet = await registerFleet(admin, NAMESPACE, N, 32, done =>
      progress(`registered ${done}`),
    );
    const registerMs = performance.now() - registerStart;

    const gw = platform.gateways.get(GATEWAY)!;
    // One address object shared by every client: when the gateway is restarted on new ports
    // below, updating it moves the whole fleet.
    const address: GatewayAddress = {
      host: '127.0.0.1',
      port: gw.port,
      enrollPort: gw.port + 1,
      caPem: await platform.fleetCaPem(),
      localAddress: '127.0.0.10',
    };
    progress(`enrolling ${N} devices (concurrency ${CONCURRENCY})`);
    const enrollWrites = await countWrites(admin);
    const { devices, enrollMs } = await enrollFleet(address, fleet, {
      concurrency: CONCURRENCY,
      onProgress: (phase, done) => progress(`${phase} ${done}`),
    });
    const pendingAfterEnroll = await drained(platform, DRAIN_MS);
    const enrollment = await enrollWrites.end();
    progress(`enrollment: ${enrollment.writes} API writes, ${pendingAfterEnroll} left pending`);

    // A gateway restarted holds the enrolled fleet (its watch caches of 10,000 Devices) and
    // nothing left over from the enrollment storm: the baseline sessions are measured against,
    // and the state a production gateway handshakes in.
    progress('restarting the gateway (fleet enrolled, no sessions)');
    const restarted = await platform.startGateway(GATEWAY);
    address.port = restarted.port;
    address.enrollPort = restarted.port + 1;
    const gwPid = restarted.process.pid;
    await settle(platform.controllers!.pid);
    await settle(gwPid);
    const rssBeforeKb = rssKb(gwPid);
    const heapBefore = (await health(platform)).memory;

    // Handshakes first, while the gateway holds no sessions, against both servers in
    // alternating rounds (gateway first, then mosquitto first, ...) so that drift on a shared
    // machine falls on both alike. On two cores the load generator needs about as much CPU per
    // handshake as either server, so the rates are close; the CPU figures say which server
    // spends less.
    progress('starting mosquitto (require_certificate, TLS 1.3) on the same certificates');
    const gatewayDir = path.join(work, 'platform', 'gateways', GATEWAY);
    const mqttPort = await freePort();
    mosquitto = await startMosquitto(
      path.join(work, 'mosquitto'),
      {
        caPem: address.caPem,
        certFile: path.join(gatewayDir, 'server/server.crt.pem'),
        keyFile: path.join(gatewayDir, 'server/server.key.pem'),
      },
      mqttPort,
    );
    const rounds = Math.max(1, Math.min(ROUNDS, HANDSHAKES));
    const perRound = Math.floor(HANDSHAKES / rounds);
    const peers = {
      gateway: {
        port: restarted.port,
        pid: gwPid,
        localAddress: '127.0.0.12',
        batches: [] as Handshakes[],
      },
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
        const batch = await handshakeBatch(
          peer.port,
          peer.pid,
          sample,
          peer.localAddress,
          CONCURRENCY,
        );
        peer.batches.push(batch);
        progress(
          `  ${Math.round(batch.ok / (batch.ms / 1000))}/s, server ${((batch.serverCpuS * 1000) / sample.length).toFixed(2)} ms CPU each`,
        );
      }
    }
    const gatewayHandshakes = sumHandshakes(peers.gateway.batches);
    const mosquittoHandshakes = sumHandshakes(peers.mosquitto.batches);
    mosquitto.kill('SIGTERM');
    mosquitto = undefined;

    progress(`connecting ${N} devices`);
    const setupWrites = await countWrites(admin);
    const connectMs = await connectFleet(devices, {
      concurrency: CONCURRENCY,
      localAddress: '127.0.0.11',
      // Devices heartbeat at the gateway's interval from the moment they connect, so none
      // times out while the rest of the fleet is still connecting.
      heartbeats: true,
      onProgress: (phase, done) => progress(`${phase} ${done}`),
    });
    const pendingAfterSetup = await drained(platform, DRAIN_MS);
    const setup = await setupWrites.end();
    const held = await health(platform);
    progress(`gateway holds ${held.sessions} sessions; set-up: ${setup.writes} API writes`);

    progress(
      `heartbeats every ${HEARTBEAT_MS} ms from each device; measuring ${MEASURE_MS / 1000} s`,
    );
    for (const d of devices) {
      d.heartbeatRtts = [];
      setTimeout(() => d.startHeartbeats(HEARTBEAT_MS), Math.random() * HEARTBEAT_MS).unref();
    }
    const steadyWrites = await countWrites(admin);
    await new Promise(r => setTimeout(r, MEASURE_MS));
    const steady: PhaseWrites = await steadyWrites.end();
    const rtts = devices.flatMap(d => d.heartbeatRtts);
    const rssAfterKb = rssKb(gwPid);
    const after = await health(platform);
    const apiRssKb = rssKb(apiPid);
    const closedDuringRun = devices.filter(d => d.connection?.closed).length;
    for (const d of devices) d.close();

    const result = {
      gatewayAllocator: readFileSync(`/proc/${gwPid}/maps`, 'utf8').includes('libjemalloc')
        ? 'jemalloc'
        : 'glibc',
      sessions: held.sessions,
      sessionsTarget: N,
      sessionsAfterMeasure: after.sessions,
      sessionsClosedDuringRun: closedDuringRun,
      registrationsPerSecond: Math.round(N / (registerMs / 1000)),
      enrollmentsPerSecond: Math.round(N / (enrollMs / 1000)),
      sessionSetupsPerSecond: Math.round(N / (connectMs / 1000)),
      gatewayRssNoSessionsMiB: +(rssBeforeKb / 1024).toFixed(1),
      gatewayRssWithSessionsMiB: +(rssAfterKb / 1024).toFixed(1),
      rssPerSessionKiB: +((rssAfterKb - rssBeforeKb) / N).toFixed(1),
      jsHeapPerSessionKiB: +((after.memory.heapUsed - heapBefore.heapUsed) / 1024 / N).toFixed(1),
      heartbeats: rtts.length,
      heartbeatP50Ms: +percentile(rtts, 50).toFixed(2),
      heartbeatP99Ms: +percentile(rtts, 99).toFixed(2),
      apiWrites: {
        enrollment: { ...enrollment, pendingAtEnd: pendingAfterEnroll },
        sessionSetup: { ...setup, pendingAtEnd: pendingAfterSetup },
        steadyHeartbeats: { ...steady, pendingAtEnd: after.pendingWrites },
      },
      apiServerRssMiB: +(apiRssKb / 1024).toFixed(1),
      handshakesPerSecond: gatewayHandshakes.perSecond,
      handshakeFailures: gatewayHandshakes.failures,
      mosquittoHandshakesPerSecond: mosquittoHandshakes.perSecond,
      mosquittoHandshakeFailures: mosquittoHandshakes.failures,
      handshakeRounds: rounds,
      serverCpuMsPerHandshake: gatewayHandshakes.serverCpuMs,
      mosquittoServerCpuMsPerHandshake: mosquittoHandshakes.serverCpuMs,
      serverCpuMsPerRound: {
        gateway: gatewayHandshakes.serverCpuMsPerRound,
        mosquitto: mosquittoHandshakes.serverCpuMsPerRound,
      },
      loadGeneratorCpuMsPerHandshake: {
        gateway: gatewayHandshakes.clientCpuMs,
        mosquitto: mosquittoHandshakes.clientCpuMs,
      },
      handshakeCpuRatioVsMosquitto: +(
        gatewayHandshakes.serverCpuMs / mosquittoHandshakes.serverCpuMs
      ).toFixed(2),
      handshakeRateRatioVsMosquitto: +(
        gatewayHandshakes.perSecond / mosquittoHandshakes.perSecond
      ).toFixed(2),
    };
    console.log(JSON.stringify(result));
  } finally {
    mosquitto?.kill('SIGTERM');
    admin?.close();
    await platform?.stop();
    if (!values['keep-dir']) rmSync(work, { recursive: true, force: true });
    else progress(`kept ${work}`);
  }
}

main().then(
  () => process.exit(0),
  err => {
    console.error(`gateway:bench failed: ${(err as Error).stack}`);
    process.exit(1);
  },
);
