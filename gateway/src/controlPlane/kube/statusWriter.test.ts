import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { killHard, startApiProcess, type ApiProcess } from '../../../../backend/test/apiProcess';
import { GatewayMetrics } from '../../metrics';
import { KubeApi, paths } from './kubeApi';
import { StatusWriter, type StatusKind, type StatusView } from './statusWriter';

/**
 * The writer against the real API server process: a backlog of reports (a fleet's session
 * set-ups) must drain at the budget, not at `concurrency` writes per flush interval.
 */
describe('StatusWriter against the API server', () => {
  let dir: string;
  let api: ApiProcess;
  let kube: KubeApi;
  const DEVICES = 300;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasmbed-writer-'));
    api = await startApiProcess(dir);
    kube = KubeApi.connect(api.url, api.ca, api.token);
    const names = Array.from({ length: DEVICES }, (_, i) => `dev-${i}`);
    for (let i = 0; i < names.length; i += 30) {
      await Promise.all(
        names.slice(i, i + 30).map(name =>
          kube.request('POST', paths.wasmbed('default', 'devices'), {
            apiVersion: 'wasmbed.io/v1alpha1',
            kind: 'Device',
            metadata: { name },
            spec: { board: 'mps2-an385', enrollment: { publicKey: 'k' } },
          }),
        ),
      );
    }
  }, 60_000);

  afterAll(async () => {
    await killHard(api);
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains a backlog at its budget, one write per object however often it was reported', async () => {
    const metrics = new GatewayMetrics();
    const source = {
      current: (): StatusView | undefined => undefined,
      keepRefused: () => true,
    };
    const writer = new StatusWriter(kube, 'default', source, metrics, pino({ level: 'silent' }), {
      writesPerSecond: 200,
      concurrency: 8,
      flushMs: 500,
    });
    const started = Date.now();
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < DEVICES; i++)
        writer.report('devices' as StatusKind, `dev-${i}`, { firmwareVersion: `fw-${round}` });
    while (writer.pendingCount > 0 && Date.now() - started < 20_000)
      await new Promise(r => setTimeout(r, 50));
    const seconds = (Date.now() - started) / 1000;
    await writer.drain(5_000);
    const written = (await metrics.apiWrites.get()).values
      .filter(v => v.labels.outcome === 'written')
      .reduce((a, v) => a + v.value, 0);
    process.stdout.write(
      `status writer: ${written} writes for ${3 * DEVICES} reports in ${seconds.toFixed(2)} s\n`,
    );
    expect(written).toBe(DEVICES);
    // 300 writes at 200/s with a burst of 200: about 1.5 s (+ one interval of coalescing).
    // The writer that wrote only `concurrency` per 500 ms tick needed 19 s.
    expect(seconds).toBeLessThan(5);
    const last = await kube.get<{ status?: { firmwareVersion?: string } }>(
      paths.wasmbed('default', 'devices', `dev-${DEVICES - 1}`),
    );
    expect(last.status?.firmwareVersion).toBe('fw-2');
  }, 60_000);

  it('compares a report with its own last write when the watch copy is older', async () => {
    const metrics = new GatewayMetrics();
    const name = 'dev-0';
    const devicePath = paths.wasmbed('default', 'devices', name);
    const seed = await kube.request<{ metadata: { resourceVersion: string } }>(
      'PATCH',
      `${devicePath}/status`,
      { status: { phase: 'Connected' } },
      'application/merge-patch+json',
    );
    // A watch that lags: it still shows the object as it was before any of the writer's writes.
    const stale: StatusView = {
      status: { phase: 'Connected' },
      resourceVersion: seed.metadata.resourceVersion,
    };
    const writer = new StatusWriter(
      kube,
      'default',
      { current: () => stale, keepRefused: () => true },
      metrics,
      pino({ level: 'silent' }),
    );
    await writer.report('devices', name, { phase: 'Disconnected' }, true, true);
    await writer.report('devices', name, { phase: 'Connected' }, true, true);
    const now = await kube.get<{ status?: { phase?: string } }>(devicePath);
    writer.stop();
    // Compared with the stale copy, "Connected" looked unchanged and was never written.
    expect(now.status?.phase).toBe('Connected');
  }, 30_000);
});
