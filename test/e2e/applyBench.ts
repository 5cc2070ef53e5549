/**
 * `npm run e2e:apply-bench`: on the embedded platform (API server, controllers, two gateways)
 * with three QEMU devices, 10 applies of the telemetry Application, each a new revision (its
 * config changes). Each sample is the time from the apply (a PUT of the Application, what
 * `kubectl apply` sends) until every AppInstance reports Running at that revision
 * (observedGeneration == generation), seen through a watch. Where the time goes: apply →
 * every instance's spec at the new revision (controller), → the first deployBegin on a QEMU
 * console (gateway reaction), → the last device's deploy result (devices), → every AppInstance
 * Running in the API (status write-back). A round whose instances are not Running within 20 s
 * counts as missing (null) and fails the run. Last line: JSON with p50, p95, every sample.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LABEL_APPLICATION } from '@wasmbed/plugin-wasmbed-common';
import { exampleApp } from '../../renode/src/firmwareImage';
import { applicationResource } from '../../scripts/platform/fleet';
import { resourcePath, type KubeObject } from '../../scripts/platform/kubeClient';
import { startPlatform, type Platform } from '../../scripts/platform/platform';
import { boardImage, stopDevices, type EmulatedDevice } from '../../scripts/platform/qemuDevices';
import { BOARDS, startQemuFleet } from './qemuFleet';
import { available } from './rollout';

const APPLIES = Number(process.env.APPLIES ?? 10);
const APP = 'bench';
const say = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Sample {
  round: number;
  revision: number;
  /** Apply → every AppInstance Running at the revision in the API; null: not within the round's time. */
  totalMs: number | null;
  /** Apply → every AppInstance's spec at the new revision (the Application controller). */
  controllerMs: number | null;
  /** Apply → the first device's console shows the gateway's deployBegin. */
  firstDeployBeginMs: number | null;
  /** Apply → the last device's console shows its deploy result ok. */
  devicesDoneMs: number | null;
  /** Per device: deployBegin → deploy result on its console (QEMU's own work). */
  deviceMs: (number | null)[];
  /** Instances not Running when the round timed out. */
  stuck?: string[];
}

const ROUND_TIMEOUT_MS = 20_000;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbed-apply-bench-'));
  let platform: Platform | undefined;
  let devices: EmulatedDevice[] = [];
  let ok = false;
  try {
    for (const board of BOARDS) boardImage(board); // make is synchronous: before anything runs
    platform = await startPlatform({ dir: path.join(dir, 'platform'), log: l => say(`  ${l}`) });
    const p = platform;
    const fleet = await startQemuFleet(p, path.join(dir, 'devices'), 'bench');
    devices = fleet.devices;
    say(`  three QEMU devices Connected in ${(fleet.connectMs / 1000).toFixed(1)} s`);
    const names = devices.map(d => d.name);
    const apps = resourcePath('Application', p.namespace);
    const instances = new Map<string, KubeObject>();
    let onChange = () => {};
    const watch = p.admin.watch(
      `${resourcePath('AppInstance', p.namespace)}?labelSelector=${encodeURIComponent(`${LABEL_APPLICATION}=${APP}`)}`,
      (type, obj) => {
        if (type === 'DELETED') instances.delete(obj.metadata.name);
        else instances.set(obj.metadata.name, obj);
        onChange();
      },
    );
    const app = (round: number) =>
      applicationResource({
        name: APP,
        namespace: p.namespace,
        moduleFile: exampleApp('telemetry'),
        devices: names,
        config: { topic: `bench-${round}` },
        maxUnavailable: 10,
        periodMs: 1000,
      });
    // Round 0 places the app (module sent); it is not a sample.
    const samples: Sample[] = [];
    let revision0 = 0;
    for (let round = 0; round <= APPLIES; round++) {
      const t0 = Date.now();
      await p.admin.upsert(apps, app(round));
      let controllerAt = 0;
      let top = 0;
      const doneAt = await new Promise<number | undefined>(resolve => {
        const timer = setTimeout(() => resolve(undefined), ROUND_TIMEOUT_MS);
        onChange = () => {
          const list = [...instances.values()];
          if (list.length !== names.length) return;
          const revs = list.map(i => Number(i.spec?.revision));
          top = Math.max(...revs);
          if (round > 0 && top <= revision0) return;
          if (!controllerAt && revs.every(r => r === top)) controllerAt = Date.now();
          if (list.every(i => Number(i.spec?.revision) === top && available(i))) {
            clearTimeout(timer);
            resolve(Date.now());
          }
        };
        onChange();
      });
      onChange = () => {};
      revision0 = top;
      // What the devices printed after the apply, with the time each line arrived.
      const after = (n: string, pattern: RegExp) =>
        fleet.timed.get(n)!.find(l => l.at >= t0 && pattern.test(l.line))?.at;
      const begins = names.map(n => after(n, /deploy \S+: begin/));
      const results = names.map(n => after(n, /deploy \S+: result ok/));
      const sample: Sample = {
        round,
        revision: top,
        totalMs: doneAt === undefined ? null : doneAt - t0,
        controllerMs: controllerAt ? controllerAt - t0 : null,
        firstDeployBeginMs: begins.every(x => x) ? Math.min(...(begins as number[])) - t0 : null,
        devicesDoneMs: results.every(x => x) ? Math.max(...(results as number[])) - t0 : null,
        deviceMs: names.map((_, k) => (begins[k] && results[k] ? results[k]! - begins[k]! : null)),
      };
      if (doneAt === undefined)
        sample.stuck = [...instances.values()]
          .filter(i => !available(i))
          .map(
            i =>
              `${i.metadata.name}: phase ${String(i.status?.phase)}, generation ${i.metadata.generation}, observedGeneration ${String(i.status?.observedGeneration)}`,
          );
      say(
        `  apply ${round}${round === 0 ? ' (first placement, not counted)' : ''}: ${JSON.stringify(sample)}`,
      );
      if (round > 0) samples.push(sample);
    }
    watch.close();
    const sorted = (f: (x: Sample) => number | null) =>
      samples
        .map(f)
        .filter((x): x is number => x !== null)
        .sort((x, y) => x - y);
    const totals = sorted(x => x.totalMs);
    const missing = samples.length - totals.length;
    ok = missing === 0;
    say(
      JSON.stringify({
        bench: 'e2e-apply',
        applies: samples.length,
        devices: names.length,
        p50Ms: percentile(totals, 0.5),
        p95Ms: percentile(totals, 0.95),
        notRunningInTime: missing,
        controllerP50Ms: percentile(
          sorted(x => x.controllerMs),
          0.5,
        ),
        firstDeployBeginP50Ms: percentile(
          sorted(x => x.firstDeployBeginMs),
          0.5,
        ),
        devicesDoneP50Ms: percentile(
          sorted(x => x.devicesDoneMs),
          0.5,
        ),
        samplesMs: samples.map(x => x.totalMs),
      }),
    );
  } catch (err) {
    process.stderr.write(`apply bench failed: ${(err as Error).message}\n`);
  } finally {
    await stopDevices(devices).catch(() => {});
    await platform?.stop().catch(() => {});
    if (ok) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${dir}\n`);
    process.exitCode = ok ? 0 : 1;
  }
}
void main();
