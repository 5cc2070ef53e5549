import { generateKeyPairSync } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ApiClient, nowMs, resourceVersionOf, type ApiReply } from './apiBenchHttp';
import { WriteLog, type LagFigures } from './apiBenchLag';
import { memoryMiB, type BenchServer } from './apiBenchServers';
import type { WatchersCommand, WatchersInput, WatchersMessage } from './apiBenchWatchers';

export interface Workload {
  devices: number;
  clients: number;
  watchers: number;
}

export interface Tokens {
  /** Creates the Devices (group wasmbed:editors). */
  editor: string;
  /** Writes their status, as a gateway does (wasmbed:gateway:gw-a). */
  gateway: string;
  /** Watches and lists (group wasmbed:viewers). */
  viewer: string;
}

export interface ServerFigures {
  createsPerSec: number;
  statusUpdatesPerSec: number;
  /** Full LIST of every Device, median of three, whole body received. */
  listLatencyMs: number;
  listItems: number;
  watchLagMs: LagFigures & { resumedWatches: number };
  rssMiB: number;
  peakRssMiB: number;
}

const DEVICES = '/apis/wasmbed.io/v1alpha1/namespaces/default/devices';
const progress = (msg: string) => process.stderr.write(`[api:bench] ${msg}\n`);
const round = (x: number) => Number(x.toFixed(1));
const deviceName = (i: number) => `bench-${String(i).padStart(6, '0')}`;

/** `total` tasks on `clients` concurrent loops; task i is `task(i)`. */
async function concurrently(
  total: number,
  clients: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, total) }, async () => {
      for (let i = next++; i < total; i = next++) await task(i);
    }),
  );
}

function expectStatus(reply: ApiReply, want: number, what: string): void {
  if (reply.status !== want)
    throw new Error(`${what}: HTTP ${reply.status}: ${reply.body.slice(0, 400)}`);
}

/**
 * The same workload against whichever server: watchers connect, then creates, then status
 * updates (every one of which each watcher must see), then a full LIST, then memory.
 */
export async function runWorkload(
  server: BenchServer,
  tokens: Tokens,
  workload: Workload,
): Promise<ServerFigures> {
  const clients = {
    editor: new ApiClient(server, tokens.editor, workload.clients),
    gateway: new ApiClient(server, tokens.gateway, workload.clients),
    viewer: new ApiClient(server, tokens.viewer, 1),
  };
  const start = await clients.viewer.send('GET', `${DEVICES}?limit=1`);
  expectStatus(start, 200, 'initial LIST');
  const watchers = startWatchers({
    url: server.url,
    caPem: server.caPem,
    token: tokens.viewer,
    path: DEVICES,
    fromResourceVersion: resourceVersionOf(start.body) ?? '0',
    watchers: workload.watchers,
    expectedEvents: 2 * workload.devices,
  });
  try {
    return await measure(server, workload, clients, watchers);
  } finally {
    await watchers.close();
    for (const client of Object.values(clients)) client.close();
  }
}

async function measure(
  server: BenchServer,
  workload: Workload,
  clients: Record<'editor' | 'gateway' | 'viewer', ApiClient>,
  watchers: Watchers,
): Promise<ServerFigures> {
  const n = workload.devices;
  const writes = new WriteLog();
  await watchers.ready;
  progress(`${server.name}: ${workload.watchers} watchers connected`);

  // Valid Devices: a real board and a real (shared) device public key.
  const publicKey = generateKeyPairSync('ed25519')
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  let t0 = nowMs();
  await concurrently(n, workload.clients, async i => {
    const reply = await clients.editor.send('POST', DEVICES, {
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Device',
      metadata: { name: deviceName(i), labels: { 'bench.wasmbed.io/run': 'api-bench' } },
      spec: { board: 'mps2-an385', gateway: 'gw-a', enrollment: { publicKey } },
    });
    expectStatus(reply, 201, `create ${deviceName(i)}`);
    writes.record(reply);
  });
  const createSeconds = (nowMs() - t0) / 1000;
  progress(`${server.name}: ${n} creates in ${createSeconds.toFixed(1)} s`);

  // As a gateway reports devices: a merge patch of .status through the status subresource.
  t0 = nowMs();
  const heartbeat = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await concurrently(n, workload.clients, async i => {
    const reply = await clients.gateway.send(
      'PATCH',
      `${DEVICES}/${deviceName(i)}/status`,
      { status: { phase: 'Connected', gateway: 'gw-a', lastHeartbeat: heartbeat } },
      'application/merge-patch+json',
    );
    expectStatus(reply, 200, `status of ${deviceName(i)}`);
    writes.record(reply);
  });
  const statusSeconds = (nowMs() - t0) / 1000;
  progress(`${server.name}: ${n} status updates in ${statusSeconds.toFixed(1)} s`);

  const seen = await watchers.result(120_000);
  const short = seen.seen.filter(s => s < 2 * n).length;
  if (short > 0) throw new Error(`${short} watchers missed events (saw ${seen.seen.join(',')})`);
  const lag = writes.lag(seen.arrivals, 2 * n * workload.watchers);
  progress(`${server.name}: ${lag.events} watch events delivered`);

  const listTimes: number[] = [];
  for (let k = 0; k < 3; k++) {
    const list = await clients.viewer.send('GET', DEVICES);
    expectStatus(list, 200, 'full LIST');
    listTimes.push(list.doneAt - list.sentAt);
    const items = (JSON.parse(list.body) as { items: unknown[] }).items.length;
    if (items !== n) throw new Error(`full LIST returned ${items} Devices, expected ${n}`);
  }
  listTimes.sort((a, b) => a - b);

  const memory = memoryMiB(server.pids());
  return {
    createsPerSec: round(n / createSeconds),
    statusUpdatesPerSec: round(n / statusSeconds),
    listLatencyMs: round(listTimes[1]!),
    listItems: n,
    watchLagMs: { ...lag, resumedWatches: seen.resumed },
    rssMiB: round(memory.rss),
    peakRssMiB: round(memory.peak),
  };
}

type WatchersResult = Extract<WatchersMessage, { type: 'result' }>;

interface Watchers {
  /** Every watcher has its watch open. */
  ready: Promise<void>;
  /** What the watchers saw, once each has seen every event or after `timeoutMs`. */
  result(timeoutMs: number): Promise<WatchersResult>;
  close(): Promise<void>;
}

function startWatchers(input: WatchersInput): Watchers {
  // A worker thread does not inherit tsx's loader, so it registers tsx itself and then loads
  // the watchers' TypeScript.
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();
require(${JSON.stringify(require.resolve('./apiBenchWatchers'))});`;
  const worker = new Worker(boot, { eval: true, workerData: input });
  let onReady!: () => void;
  let onResult!: (result: WatchersResult) => void;
  const failures: ((error: Error) => void)[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    failures.push(reject);
  });
  const result = new Promise<WatchersResult>((resolve, reject) => {
    onResult = resolve;
    failures.push(reject);
  });
  // Nobody awaits these if the run failed earlier; that must not crash the process.
  ready.catch(() => undefined);
  result.catch(() => undefined);
  worker.on('message', (message: WatchersMessage) => {
    if (message.type === 'ready') onReady();
    else if (message.type === 'result') onResult(message);
    else failures.forEach(fail => fail(new Error(message.message)));
  });
  worker.on('error', error => failures.forEach(fail => fail(error)));
  return {
    ready,
    result: async timeoutMs => {
      const timer = setTimeout(
        () => worker.postMessage({ type: 'finish' } satisfies WatchersCommand),
        timeoutMs,
      );
      try {
        return await result;
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
