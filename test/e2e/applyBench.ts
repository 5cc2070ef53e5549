/**
 * `npm run e2e:apply-bench`: on the embedded platform (API server, controllers, two gateways)
 * with three QEMU devices, 10 applies of the telemetry Application, each a new revision (its
 * config changes). Each sample is the time from the apply (a PUT of the Application, what
 * `kubectl apply` sends) until every AppInstance reports Running at that revision
 * (observedGeneration == generation), seen through a watch. Where the time goes is split into:
 * controller (apply → every instance's spec at the new revision), device (the gateway's
 * deployBegin reaching the QEMU console → its deploy result), and the rest (gateway reaction
 * and status write-back). Last line: JSON with p50, p95 and every sample.
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
  totalMs: number;
  controllerMs: number;
  /** Per device: deployBegin on its console → deploy result, ms (QEMU's own work). */
  deviceMs: number[];
}

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
      const marks = new Map(names.map(n => [n, fleet.timed.get(n)!.length]));
      await p.admin.upsert(apps, app(round));
      let controllerAt = 0;
      let revision = 0;
      const done = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`round ${round}: not Running in 60 s`)),
          60_000,
        );
        onChange = () => {
          const list = [...instances.values()];
          if (list.length !== names.length) return;
          const revs = list.map(i => Number(i.spec?.revision));
          const top = Math.max(...revs);
          if (round > 0 && top <= revision0) return;
          if (!controllerAt && revs.every(r => r === top)) controllerAt = Date.now();
          if (list.every(i => Number(i.spec?.revision) === top && available(i))) {
            clearTimeout(timer);
            revision = top;
            resolve(Date.now());
          }
        };
        onChange();
      });
      const doneAt = await done;
      revision0 = revision;
      const deviceMs = names.map(n => {
        const lines = fleet.timed.get(n)!.slice(marks.get(n)!);
        const begin = lines.find(l => /deploy \S+: begin/.test(l.line));
        const result = lines.find(l => /deploy \S+: result/.test(l.line));
        return begin && result ? result.at - begin.at : -1;
      });
      const sample = {
        round,
        revision,
        totalMs: doneAt - t0,
        controllerMs: controllerAt - t0,
        deviceMs,
      };
      say(
        `  apply ${round}${round === 0 ? ' (first placement, not counted)' : ''}: ${JSON.stringify(sample)}`,
      );
      if (round > 0) samples.push(sample);
    }
    watch.close();
    const totals = samples.map(s => s.totalMs).sort((a, b) => a - b);
    const controller = samples.map(s => s.controllerMs).sort((a, b) => a - b);
    const device = samples
      .flatMap(s => s.deviceMs)
      .filter(x => x >= 0)
      .sort((a, b) => a - b);
    ok = true;
    say(
      JSON.stringify({
        bench: 'e2e-apply',
        applies: samples.length,
        devices: names.length,
        p50Ms: percentile(totals, 0.5),
        p95Ms: percentile(totals, 0.95),
        controllerP50Ms: percentile(controller, 0.5),
        deviceDeployP50Ms: percentile(device, 0.5),
        samplesMs: samples.map(s => s.totalMs),
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
