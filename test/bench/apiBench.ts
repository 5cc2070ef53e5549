/**
 * API server benchmark (issue 10, section 4): the same client workload against the embedded
 * API server (backend/src/cli/api.ts) and against a real kube-apiserver + etcd, one after the
 * other on this machine. Progress goes to stderr; one JSON document of figures, with the
 * ratios embedded/kube, to stdout, last.
 *
 *   npm run api:bench                                      # 10,000 Devices, 32 clients, 100 watchers
 *   npm run api:bench -- --devices 1000 --watchers 10      # a quick run
 *   npm run api:bench -- --servers kube                    # one server only
 *
 * Needs `bash test/cluster/kube.sh build` first (kube-apiserver, kubectl and etcd).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeTokenFile } from '../cluster/tokens';
import { startEmbedded, startKube, type BenchServer } from './apiBenchServers';
import { runWorkload, type ServerFigures, type Workload } from './apiBenchWorkload';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '32' },
    watchers: { type: 'string', default: '100' },
    servers: { type: 'string', default: 'embedded,kube' },
  },
});

function positive(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`--${name}: an integer 1..${max}`);
  return value;
}

const workload: Workload = {
  devices: positive('devices', values.devices, 1_000_000),
  clients: positive('clients', values.clients, 1024),
  watchers: positive('watchers', values.watchers, 1000),
};
const starters = { embedded: startEmbedded, kube: startKube } as const;
const servers = values.servers.split(',').map(s => {
  if (!(s in starters)) throw new Error(`--servers: embedded and/or kube, not "${s}"`);
  return s as keyof typeof starters;
});

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'wasmbed-api-bench-'));
  const results: Partial<Record<BenchServer['name'], ServerFigures>> = {};
  let failed = true;
  try {
    const { file, tokens } = writeTokenFile(workDir);
    for (const which of servers) {
      process.stderr.write(`[api:bench] starting ${which}\n`);
      const server = await starters[which](workDir, file);
      try {
        results[which] = await runWorkload(
          server,
          { editor: tokens.editor, gateway: tokens['wasmbed:gateway:gw-a'], viewer: tokens.viewer },
          workload,
        );
      } finally {
        await server.stop();
      }
    }
    failed = false;
  } finally {
    // The servers' logs stay for a look when the run failed.
    if (failed) process.stderr.write(`[api:bench] logs kept in ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  const { embedded: e, kube: k } = results;
  const ratios =
    e && k
      ? {
          createsPerSec: ratio(e.createsPerSec, k.createsPerSec),
          statusUpdatesPerSec: ratio(e.statusUpdatesPerSec, k.statusUpdatesPerSec),
          listLatencyMs: ratio(e.listLatencyMs, k.listLatencyMs),
          watchLagP50: ratio(e.watchLagMs.p50, k.watchLagMs.p50),
          watchLagP99: ratio(e.watchLagMs.p99, k.watchLagMs.p99),
          watchLagFromSendP50: ratio(e.watchLagMs.fromSendP50, k.watchLagMs.fromSendP50),
          watchLagFromSendP99: ratio(e.watchLagMs.fromSendP99, k.watchLagMs.fromSendP99),
          rssMiB: ratio(e.rssMiB, k.rssMiB),
          peakRssMiB: ratio(e.peakRssMiB, k.peakRssMiB),
        }
      : undefined;
  const report = {
    workload: { ...workload, client: 'node:https, keep-alive agents (same code for both servers)' },
    ...results,
    ratios,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[api:bench] failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
