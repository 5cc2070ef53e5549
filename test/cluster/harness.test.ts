/**
 * Proves the real-Kubernetes harness: the pinned binaries, the CRDs, the RBAC table and the
 * authentication setup the two-server suite relies on, and that stop() leaves nothing running.
 * Needs `bash test/cluster/kube.sh build` first (Jest never builds kube).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeApiServer, type KubeServer } from './kubeApiServer';
import { kubeRequest } from './kubeRequest';
import { kubectlPath } from './paths';
import { writeTokenFile, type TokenFile } from './tokens';

const execFileAsync = promisify(execFile);
jest.setTimeout(60_000);

let workDir: string;
let tokens: TokenFile['tokens'];
let kube: KubeServer;
let pidsWhileRunning: number[] = [];

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'wasmbed-kube-harness-'));
  const tokenFile = writeTokenFile(workDir);
  tokens = tokenFile.tokens;
  kube = await startKubeApiServer({ workDir, tokenAuthFile: tokenFile.file });
  pidsWhileRunning = kube.pids();
});

afterAll(async () => {
  await kube?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

const kubectl = async (kubeconfig: string, ...args: string[]) =>
  (await execFileAsync(kubectlPath, ['--kubeconfig', kubeconfig, ...args])).stdout;

const api = (path: string, options: Parameters<typeof kubeRequest>[2] = {}) =>
  kubeRequest(kube.url + path, kube.caPem, options);

const devicePublicKey = generateKeyPairSync('ed25519')
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const device = (name: string) => ({
  apiVersion: 'wasmbed.io/v1alpha1',
  kind: 'Device',
  metadata: { name },
  spec: { board: 'mps2-an385', enrollment: { publicKey: devicePublicKey } },
});
const DEVICES = '/apis/wasmbed.io/v1alpha1/namespaces/default/devices';
const GATEWAYS = '/apis/wasmbed.io/v1alpha1/namespaces/default/gateways';

test('kubectl and kube-apiserver are both v1.32.13', async () => {
  const version = JSON.parse(await kubectl(kube.kubeconfigPath, 'version', '-o', 'json')) as {
    clientVersion: { gitVersion: string };
    serverVersion: { gitVersion: string };
  };
  expect(version.clientVersion.gitVersion).toBe('v1.32.13');
  expect(version.serverVersion.gitVersion).toBe('v1.32.13');
});

test('the wasmbed.io CRDs are Established and served', async () => {
  for (const crd of ['devices', 'applications', 'gateways']) {
    const established = await kubectl(
      kube.kubeconfigPath,
      'get',
      'crd',
      `${crd}.wasmbed.io`,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Established")].status}',
    );
    expect(established).toBe('True');
  }
  const resources = await kubectl(
    kube.kubeconfigPath,
    'api-resources',
    '--api-group=wasmbed.io',
    '-o',
    'name',
  );
  expect(resources.split('\n').filter(Boolean).sort()).toEqual([
    'appinstances.wasmbed.io',
    'applications.wasmbed.io',
    'devices.wasmbed.io',
    'gateways.wasmbed.io',
  ]);
});

test('a viewer may list Devices but not create one (403 Forbidden, kube message)', async () => {
  expect((await api(DEVICES, { token: tokens.viewer })).status).toBe(200);
  const res = await api(DEVICES, {
    method: 'POST',
    token: tokens.viewer,
    body: device('d-viewer'),
  });
  expect(res.status).toBe(403);
  expect(res.json).toMatchObject({
    kind: 'Status',
    reason: 'Forbidden',
    message:
      'devices.wasmbed.io is forbidden: User "viewer" cannot create resource "devices" in API group ' +
      '"wasmbed.io" in the namespace "default"',
    details: { group: 'wasmbed.io', kind: 'devices' },
  });
  const created = await api(DEVICES, {
    method: 'POST',
    token: tokens.editor,
    body: device('d-editor'),
  });
  expect(created.status).toBe(201);
});

test('a wrong or missing token is 401 Unauthorized; health stays open', async () => {
  for (const token of ['not-a-token', undefined]) {
    const res = await api(DEVICES, { token });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  }
  expect((await api('/readyz')).status).toBe(200);
  // An authenticated user with no role still reads discovery, and nothing else.
  expect((await api('/apis/wasmbed.io/v1alpha1', { token: tokens.nobody })).status).toBe(200);
  expect((await api(DEVICES, { token: tokens.nobody })).status).toBe(403);
});

test("gateway gw-a writes device status and its own Gateway's status only", async () => {
  const gateway = (name: string) => ({
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Gateway',
    metadata: { name },
    spec: { endpoint: 'gw.example:8443' },
  });
  for (const name of ['gw-a', 'gw-b']) {
    expect(
      (await api(GATEWAYS, { method: 'POST', token: tokens.admin, body: gateway(name) })).status,
    ).toBe(201);
  }
  const gw = tokens['wasmbed:gateway:gw-a'];
  const statusPatch = (path: string) =>
    api(path, {
      method: 'PATCH',
      token: gw,
      contentType: 'application/merge-patch+json',
      body: { status: {} },
    });
  expect((await statusPatch(`${GATEWAYS}/gw-a/status`)).status).toBe(200);
  expect((await statusPatch(`${GATEWAYS}/gw-b/status`)).status).toBe(403);
  expect((await statusPatch(`${DEVICES}/d-editor/status`)).status).toBe(200);
  expect((await api(DEVICES, { method: 'POST', token: gw, body: device('d-gw') })).status).toBe(
    403,
  );
  expect((await api('/api/v1/namespaces/default/secrets', { token: gw })).status).toBe(403);
});

test('stop() leaves no kube-apiserver or etcd running', async () => {
  expect(pidsWhileRunning).toHaveLength(2);
  await kube.stop();
  for (const pid of pidsWhileRunning) {
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }) as Error);
  }
  expect(kube.pids()).toEqual([]);
});
