/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON answers, read field by field in assertions */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKubectl } from '../../test/apiserver/kubectl';
import { startKubeApiServer, type KubeServer } from '../../test/cluster/kubeApiServer';
import { writeTokenFile } from '../../test/cluster/tokens';
import {
  apiClient,
  eventually,
  sleep,
  startControllersProcess,
  stopProcess,
  type ApiClient,
  type ControllersProcess,
} from './controllersFixture';

/**
 * The same controllers against a real kube-apiserver + etcd with the CRDs (test/cluster/):
 * a batch rollout, the instances of a deleted Application removed (no kube-controller-manager
 * runs there either, so no garbage collector: the Application controller's own deletion is
 * what both servers rely on), and a deleted Device's finalizer. Needs
 * `bash test/cluster/kube.sh build` first.
 */

jest.setTimeout(120_000);

const WB = '/apis/wasmbed.io/v1alpha1/namespaces/default';
const MODULE = Buffer.from('0061736d01000000', 'hex').toString('base64');

let dir: string;
let kube: KubeServer;
let controllers: ControllersProcess | undefined;
let admin: ApiClient;
let gateway: ApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'controllers-kube-'));
  const tokens = writeTokenFile(dir);
  kube = await startKubeApiServer({ workDir: dir, tokenAuthFile: tokens.file });
  admin = apiClient({ url: kube.url, ca: kube.caPem }, { token: tokens.tokens.admin });
  gateway = apiClient(
    { url: kube.url, ca: kube.caPem },
    { token: tokens.tokens['wasmbed:gateway:gw-a'] },
  );
  controllers = await startControllersProcess(kube.kubeconfigPath);
});

afterAll(async () => {
  if (controllers) await stopProcess(controllers.child, 'SIGKILL');
  admin?.close();
  gateway?.close();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  const failures = (controllers?.stderr() ?? '')
    .split('\n')
    .filter(l => l.includes('reconcile failed'));
  expect(failures).toEqual([]);
});

const kubectl = (args: string[], stdin?: string) =>
  runKubectl(kube.kubeconfigPath, join(dir, 'kubectl-cache'), args, stdin);

const instances = async () =>
  (
    (await admin.get(`${WB}/appinstances?labelSelector=wasmbed.io/application=telemetry`)).body
      .items as any[]
  )
    .map(i => `${i.spec.device}@${i.spec.revision}`)
    .sort();

async function reportRunning(name: string) {
  for (;;) {
    const cur = (await gateway.get(`${WB}/appinstances/${name}`)).body;
    const r = await gateway.put(`${WB}/appinstances/${name}/status`, {
      ...cur,
      status: { phase: 'Running', gateway: 'gw-a', observedGeneration: cur.metadata.generation },
    });
    if (r.status === 409) continue;
    expect(r.status).toBe(200);
    return;
  }
}

test('a batch rollout, then deletion of the Application, on kube-apiserver', async () => {
  const devices = ['k1', 'k2', 'k3']
    .map(
      n =>
        `{"apiVersion":"wasmbed.io/v1alpha1","kind":"Device","metadata":{"name":"${n}","labels":{"fleet":"k"}},"spec":{"board":"mps2-an385","enrollment":{"publicKey":"key-${n}"}}}`,
    )
    .join('\n');
  expect((await kubectl(['apply', '-f', '-'], devices)).code).toBe(0);
  const app = (interval: string) =>
    JSON.stringify({
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'telemetry' },
      spec: {
        module: { inline: MODULE },
        target: { selector: { matchLabels: { fleet: 'k' } } },
        config: { interval },
        rollout: { maxUnavailable: 1 },
      },
    });
  expect((await kubectl(['apply', '-f', '-'], app('1000'))).code).toBe(0);
  await eventually('3 instances', async () =>
    (await instances()).length === 3 ? true : undefined,
  );
  expect(await instances()).toEqual(['k1@1', 'k2@1', 'k3@1']);
  for (const d of ['k1', 'k2', 'k3']) await reportRunning(`telemetry.${d}`);
  const waited = await kubectl([
    'wait',
    '--for=condition=Available',
    'application/telemetry',
    '--timeout=30s',
  ]);
  expect(waited.code).toBe(0);

  expect((await kubectl(['apply', '-f', '-'], app('500'))).code).toBe(0);
  await eventually('first batch', async () =>
    (await instances()).includes('k1@2') ? true : undefined,
  );
  await sleep(1500);
  expect(await instances()).toEqual(['k1@2', 'k2@1', 'k3@1']);
  await reportRunning('telemetry.k1');
  await eventually('second batch', async () =>
    (await instances()).includes('k2@2') ? true : undefined,
  );
  expect(await instances()).toEqual(['k1@2', 'k2@2', 'k3@1']);
  await reportRunning('telemetry.k2');
  await eventually('third batch', async () =>
    (await instances()).includes('k3@2') ? true : undefined,
  );
  await reportRunning('telemetry.k3');
  const status = await eventually('complete', async () => {
    const s = (await admin.get(`${WB}/applications/telemetry`)).body.status;
    const progressing = (s?.conditions ?? []).find((c: any) => c.type === 'Progressing');
    return s?.revision === 2 && progressing?.reason === 'RolloutComplete' ? s : undefined;
  });
  expect(status).toMatchObject({ phase: 'Running', desired: 3, updated: 3, running: 3 });

  expect((await kubectl(['delete', 'application', 'telemetry'])).code).toBe(0);
  await eventually('instances deleted', async () =>
    (await instances()).length === 0 ? true : undefined,
  );
});

test('a deleted Device goes once its finalizer is removed', async () => {
  await eventually('finalizer', async () =>
    (await admin.get(`${WB}/devices/k3`)).body.metadata.finalizers?.includes(
      'wasmbed.io/revocation',
    )
      ? true
      : undefined,
  );
  expect((await kubectl(['delete', 'device', 'k3', '--timeout=30s'])).code).toBe(0);
  expect((await admin.get(`${WB}/devices/k3`)).status).toBe(404);
});
