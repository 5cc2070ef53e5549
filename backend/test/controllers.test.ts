/* eslint-disable @typescript-eslint/no-explicit-any -- the API's JSON answers, read field by field in assertions */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { runKubectl } from '../../test/apiserver/kubectl';
import {
  apiClient,
  eventually,
  sleep,
  startApiServer,
  startControllersProcess,
  stopProcess,
  type ApiClient,
  type ApiServer,
  type ControllersProcess,
} from './controllersFixture';

/**
 * The controllers against the real embedded API server: both are real processes, the test
 * writes what users (kubectl) and gateways (with a gateway's token) write, and reads what
 * the controllers made of it.
 */

jest.setTimeout(90_000);

const WB = '/apis/wasmbed.io/v1alpha1/namespaces/default';
const CORE = '/api/v1/namespaces/default';
const SYSTEM_CM = '/api/v1/namespaces/wasmbed-system/configmaps/wasmbed-revocations';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

// A valid empty WebAssembly module, and a second one (a custom section) for a new digest.
const MODULE_A = Buffer.from('0061736d01000000', 'hex');
const MODULE_B = Buffer.from('0061736d0100000000030178', 'hex');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let dir: string;
let api: ApiServer;
let controllers: ControllersProcess | undefined;
let admin: ApiClient;
let gwA: ApiClient;
let gwB: ApiClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'controllers-'));
  api = await startApiServer(dir);
  admin = apiClient(api, api.admin);
  gwA = apiClient(api, api.gateway('gw-a'));
  gwB = apiClient(api, api.gateway('gw-b'));
  controllers = await startControllersProcess(api.kubeconfig);
});

afterAll(async () => {
  if (process.env.CONTROLLERS_DEBUG) process.stderr.write(controllers?.stderr() ?? '');
  if (controllers) await stopProcess(controllers.child, 'SIGKILL');
  if (api) await stopProcess(api.child, 'SIGKILL');
  for (const c of [admin, gwA, gwB]) c?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  // A controller that logged a failed reconcile other than a conflict is a bug to look at.
  const failures = (controllers?.stderr() ?? '')
    .split('\n')
    .filter(l => l.includes('reconcile failed'));
  expect(failures).toEqual([]);
});

const kubectl = (args: string[], stdin?: string) =>
  runKubectl(api.kubeconfig, join(dir, 'kubectl-cache'), args, stdin);

async function createDevice(name: string, labels: Record<string, string> = {}) {
  const r = await admin.post(`${WB}/devices`, {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Device',
    metadata: { name, labels },
    spec: { board: 'mps2-an385', enrollment: { publicKey: `key-${name}` } },
  });
  expect(r.status).toBe(201);
}

function application(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'wasmbed.io/v1alpha1', kind: 'Application', metadata: { name }, spec };
}

const instancesOf = async (app: string) =>
  (await admin.get(`${WB}/appinstances?labelSelector=wasmbed.io/application=${app}`)).body
    .items as any[];

const appStatus = async (app: string) => (await admin.get(`${WB}/applications/${app}`)).body.status;
const condition = (status: any, type: string) =>
  (status?.conditions ?? []).find((c: any) => c.type === type);

/** What a gateway writes once its device reports the instance's state. */
async function report(gw: ApiClient, instance: string, phase: string, gateway = 'gw-a') {
  for (;;) {
    const cur = await gw.get(`${WB}/appinstances/${instance}`);
    expect(cur.status).toBe(200);
    const r = await gw.put(`${WB}/appinstances/${instance}/status`, {
      ...cur.body,
      status: {
        phase,
        gateway,
        moduleSha256: cur.body.spec.module.sha256,
        observedGeneration: cur.body.metadata.generation,
        ...(phase === 'Failed' ? { lastError: 'trap: unreachable' } : {}),
      },
    });
    if (r.status === 409) continue;
    expect(r.status).toBe(200);
    return;
  }
}

const eventsFor = async (name: string) =>
  ((await admin.get(`${CORE}/events`)).body.items as any[]).filter(
    e => e.involvedObject.name === name,
  );

describe('Application: module resolution', () => {
  beforeAll(() => createDevice('m1', { group: 'modules' }));
  const target = { devices: ['m1'] };

  it('stores an inline module in its content-addressed ConfigMap and makes the instance', async () => {
    expect(
      (
        await admin.post(
          `${WB}/applications`,
          application('inline-app', { module: { inline: MODULE_A.toString('base64') }, target }),
        )
      ).status,
    ).toBe(201);
    const digest = sha(MODULE_A);
    const inst = await eventually('the instance', async () => (await instancesOf('inline-app'))[0]);
    expect(inst.metadata.name).toBe('inline-app.m1');
    expect(inst.spec).toMatchObject({
      application: 'inline-app',
      device: 'm1',
      revision: 1,
      module: {
        sha256: digest,
        bytes: MODULE_A.length,
        configMap: `wasm-module-${digest.slice(0, 40)}`,
      },
    });
    expect(inst.metadata.labels).toEqual({
      'wasmbed.io/application': 'inline-app',
      'wasmbed.io/device': 'm1',
    });
    const owner = (await admin.get(`${WB}/applications/inline-app`)).body;
    expect(inst.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'wasmbed.io/v1alpha1',
        kind: 'Application',
        name: 'inline-app',
        uid: owner.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const cm = (await admin.get(`${CORE}/configmaps/${inst.spec.module.configMap}`)).body;
    expect(cm.immutable).toBe(true);
    expect(cm.metadata.labels['wasmbed.io/module-sha256']).toBe(digest.slice(0, 40));
    expect(Buffer.from(cm.binaryData['module.wasm'], 'base64').equals(MODULE_A)).toBe(true);
    const status = await eventually('status', async () => {
      const s = await appStatus('inline-app');
      return s?.desired === 1 ? s : undefined;
    });
    expect(status).toMatchObject({
      moduleSha256: digest,
      moduleBytes: MODULE_A.length,
      revision: 1,
      updated: 1,
      running: 0,
      phase: 'Deploying',
    });
    expect((await eventsFor('inline-app')).map(e => e.reason)).toEqual(
      expect.arrayContaining(['ModuleResolved', 'RolloutStarted']),
    );
  });

  it('reads a module from a ConfigMap key (binaryData)', async () => {
    await admin.post(`${CORE}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'my-module' },
      binaryData: { 'app.wasm': MODULE_B.toString('base64') },
    });
    await admin.post(
      `${WB}/applications`,
      application('cm-app', {
        module: { ref: { kind: 'ConfigMap', name: 'my-module', key: 'app.wasm' } },
        target,
      }),
    );
    const inst = await eventually('the instance', async () => (await instancesOf('cm-app'))[0]);
    expect(inst.spec.module.sha256).toBe(sha(MODULE_B));
    const cm = (await admin.get(`${CORE}/configmaps/${inst.spec.module.configMap}`)).body;
    expect(Buffer.from(cm.binaryData['module.wasm'], 'base64').equals(MODULE_B)).toBe(true);
  });

  it('fetches a URL module and checks its digest; refuses a wrong digest, a URL without one, and a Build ref', async () => {
    const served = Buffer.concat([MODULE_A, Buffer.from([0, 2, 1, 0x61])]);
    let hits = 0;
    const server = http.createServer((_, res) => {
      hits++;
      res.end(served);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.wasm`;
    try {
      await admin.post(
        `${WB}/applications`,
        application('url-app', { module: { url, sha256: sha(served) }, target }),
      );
      await admin.post(
        `${WB}/applications`,
        // (A digest whose module ConfigMap exists is taken from there without a fetch:
        // these are the bytes the spec asks for, whoever serves them.)
        application('url-bad', {
          module: { url, sha256: sha(Buffer.from('other bytes')) },
          target,
        }),
      );
      await admin.post(
        `${WB}/applications`,
        application('url-nodigest', { module: { url }, target }),
      );
      await admin.post(
        `${WB}/applications`,
        application('build-app', { module: { ref: { kind: 'Build', name: 'b1' } }, target }),
      );

      const inst = await eventually(
        'the URL instance',
        async () => (await instancesOf('url-app'))[0],
      );
      expect(inst.spec.module.sha256).toBe(sha(served));
      const cm = (await admin.get(`${CORE}/configmaps/${inst.spec.module.configMap}`)).body;
      expect(Buffer.from(cm.binaryData['module.wasm'], 'base64').equals(served)).toBe(true);

      const bad = await eventually('url-bad refused', async () => {
        const s = await appStatus('url-bad');
        return condition(s, 'Progressing')?.reason === 'ModuleRefused' ? s : undefined;
      });
      expect(bad.phase).toBe('Failed');
      expect(condition(bad, 'Progressing').message).toContain(`sha256 is ${sha(served)}`);
      const noDigest = await eventually('url-nodigest refused', async () => {
        const s = await appStatus('url-nodigest');
        return condition(s, 'Progressing')?.reason === 'ModuleRefused' ? s : undefined;
      });
      expect(condition(noDigest, 'Progressing').message).toContain('needs module.sha256');
      const build = await eventually('build refused', async () => {
        const s = await appStatus('build-app');
        return condition(s, 'Progressing')?.reason === 'BuildNotSupported' ? s : undefined;
      });
      expect(build.phase).toBe('Failed');
      for (const app of ['url-bad', 'url-nodigest', 'build-app'])
        expect(await instancesOf(app)).toEqual([]);
      expect((await eventsFor('url-bad')).map(e => [e.reason, e.type])).toContainEqual([
        'ModuleRefused',
        'Warning',
      ]);
      // The URL is fetched once: afterwards its ConfigMap (named by the digest) answers.
      const before = hits;
      await admin.mergePatch(`${WB}/applications/url-app`, { spec: { config: { again: '1' } } });
      await eventually('revision 2', async () =>
        (await appStatus('url-app'))?.revision === 2 ? true : undefined,
      );
      expect(hits).toBe(before);
    } finally {
      server.close();
    }
  });
});

describe('Application: rollout', () => {
  beforeAll(async () => {
    for (const d of ['r1', 'r2', 'r3', 'r4']) await createDevice(d, { fleet: 'roll' });
  });

  it('moves a new revision batch by batch: the next batch only after the previous one runs', async () => {
    const applied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(
        application('roll', {
          module: { inline: MODULE_A.toString('base64') },
          target: { selector: { matchLabels: { fleet: 'roll' } } },
          config: { interval: '1000' },
          rollout: { maxUnavailable: 2 },
        }),
      ),
    );
    expect(applied.stderr).toBe('');
    const first = await eventually('4 instances', async () => {
      const items = await instancesOf('roll');
      return items.length === 4 ? items : undefined;
    });
    expect(first.map(i => i.spec.revision)).toEqual([1, 1, 1, 1]);
    for (const i of first) await report(gwA, i.metadata.name, 'Running');
    const waited = await kubectl([
      'wait',
      '--for=condition=Available',
      'application/roll',
      '--timeout=30s',
    ]);
    expect(waited).toMatchObject({
      code: 0,
      stdout: 'application.wasmbed.io/roll condition met\n',
    });
    const done1 = await eventually('rollout 1 complete', async () => {
      const s = await appStatus('roll');
      return condition(s, 'Progressing')?.reason === 'RolloutComplete' ? s : undefined;
    });
    expect(done1).toMatchObject({
      phase: 'Running',
      revision: 1,
      desired: 4,
      updated: 4,
      running: 4,
      failed: 0,
    });

    // A new revision: a config change.
    await kubectl([
      'patch',
      'application',
      'roll',
      '--type=merge',
      '-p',
      '{"spec":{"config":{"interval":"500"}}}',
    ]);
    const atRevision = async (rev: number) =>
      (await instancesOf('roll'))
        .filter(i => i.spec.revision === rev)
        .map(i => i.metadata.name)
        .sort();
    const batch1 = await eventually('first batch', async () => {
      const moved = await atRevision(2);
      return moved.length >= 2 ? moved : undefined;
    });
    expect(batch1).toEqual(['roll.r1', 'roll.r2']);
    const mid = await appStatus('roll');
    expect(mid).toMatchObject({ phase: 'Deploying', revision: 2, updated: 2, running: 0 });
    expect(condition(mid, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    // Still Available: the old revision runs on every device until a device reports otherwise.
    expect(condition(mid, 'Available').status).toBe('True');
    // Nothing more moves while the first batch is not Running at its new generation.
    await sleep(1500);
    expect(await atRevision(2)).toEqual(['roll.r1', 'roll.r2']);
    // Running for the OLD generation does not count.
    const stale = (await admin.get(`${WB}/appinstances/roll.r1`)).body;
    await gwA.put(`${WB}/appinstances/roll.r1/status`, {
      ...stale,
      status: {
        ...stale.status,
        phase: 'Running',
        observedGeneration: stale.metadata.generation - 1,
      },
    });
    await sleep(1000);
    expect(await atRevision(2)).toEqual(['roll.r1', 'roll.r2']);

    await report(gwA, 'roll.r1', 'Running');
    const batch2 = await eventually('one more moves', async () => {
      const moved = await atRevision(2);
      return moved.length >= 3 ? moved : undefined;
    });
    expect(batch2).toEqual(['roll.r1', 'roll.r2', 'roll.r3']);
    await report(gwA, 'roll.r2', 'Running');
    await eventually('all moved', async () =>
      (await atRevision(2)).length === 4 ? true : undefined,
    );
    for (const n of ['roll.r3', 'roll.r4']) await report(gwA, n, 'Running');
    const done2 = await eventually('rollout 2 complete', async () => {
      const s = await appStatus('roll');
      return condition(s, 'Progressing')?.reason === 'RolloutComplete' && s.revision === 2
        ? s
        : undefined;
    });
    expect(done2).toMatchObject({
      phase: 'Running',
      desired: 4,
      updated: 4,
      running: 4,
      observedGeneration: 2,
    });
    const instances = await instancesOf('roll');
    expect(instances.map(i => i.spec.config)).toEqual(Array(4).fill({ interval: '500' }));
    const reasons = (await eventsFor('roll')).map(e => e.reason);
    expect(reasons.filter(r => r === 'RolloutStarted')).toHaveLength(2);
    expect(reasons.filter(r => r === 'RolloutComplete')).toHaveLength(2);
  });

  it('stops when failed instances of the new revision exceed maxFailures', async () => {
    for (const d of ['f1', 'f2', 'f3']) await createDevice(d, { fleet: 'fail' });
    await admin.post(
      `${WB}/applications`,
      application('fragile', {
        module: { inline: MODULE_A.toString('base64') },
        target: { selector: { matchLabels: { fleet: 'fail' } } },
        rollout: { maxUnavailable: 1, maxFailures: 0 },
      }),
    );
    const items = await eventually('3 instances', async () => {
      const i = await instancesOf('fragile');
      return i.length === 3 ? i : undefined;
    });
    for (const i of items) await report(gwB, i.metadata.name, 'Running', 'gw-b');
    await admin.mergePatch(`${WB}/applications/fragile`, { spec: { config: { mode: 'new' } } });
    await eventually('f1 moved', async () =>
      (await admin.get(`${WB}/appinstances/fragile.f1`)).body.spec.revision === 2
        ? true
        : undefined,
    );
    await report(gwB, 'fragile.f1', 'Failed', 'gw-b');
    const failed = await eventually('RolloutFailed', async () => {
      const s = await appStatus('fragile');
      return condition(s, 'Progressing')?.reason === 'RolloutFailed' ? s : undefined;
    });
    expect(failed).toMatchObject({ phase: 'Failed', failed: 1, updated: 1 });
    expect(condition(failed, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'InstancesFailed',
    });
    await sleep(1500);
    expect((await instancesOf('fragile')).map(i => i.spec.revision).sort()).toEqual([1, 1, 2]);
    expect((await eventsFor('fragile')).map(e => e.reason)).toContain('RolloutFailed');
  });

  it('deletes the AppInstances of a deleted Application, and of a device no longer targeted', async () => {
    await admin.mergePatch(`${WB}/devices/f3`, { metadata: { labels: { fleet: 'other' } } });
    await eventually('f3 instance gone', async () =>
      (await instancesOf('fragile')).length === 2 ? true : undefined,
    );
    expect((await kubectl(['delete', 'application', 'fragile'])).code).toBe(0);
    await eventually('instances gone', async () =>
      (await instancesOf('fragile')).length === 0 ? true : undefined,
    );
  });
});

const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

async function lease(gw: ApiClient, name: string, renewMs: number, durationSeconds: number) {
  const path = `${LEASES}/gateway-${name}`;
  const cur = await gw.get(path);
  const body = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: `gateway-${name}`,
      ...(cur.status === 200 ? { resourceVersion: cur.body.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: name,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(renewMs),
      acquireTime: microTime(renewMs),
    },
  };
  const r = cur.status === 200 ? await gw.put(path, body) : await gw.post(LEASES, body);
  expect([200, 201]).toContain(r.status);
}

async function registerGateway(gw: ApiClient, name: string) {
  const r = await gw.post(`${WB}/gateways`, {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Gateway',
    metadata: { name },
    spec: { endpoint: '127.0.0.1:4423' },
  });
  expect(r.status).toBe(201);
}

async function deviceStatus(gw: ApiClient, device: string, status: Record<string, unknown>) {
  const cur = (await gw.get(`${WB}/devices/${device}`)).body;
  const r = await gw.put(`${WB}/devices/${device}/status`, { ...cur, status });
  // The controller may have written meanwhile (its finalizer, conditions): read again, as a gateway does.
  if (r.status === 409) return deviceStatus(gw, device, status);
  expect(r.status).toBe(200);
}

describe('Gateways and devices', () => {
  it('marks a gateway NotReady and its devices Unreachable when its Lease expires; a live one stays', async () => {
    await registerGateway(gwA, 'gw-a');
    await registerGateway(gwB, 'gw-b');
    await lease(gwA, 'gw-a', Date.now(), 10);
    await lease(gwB, 'gw-b', Date.now(), 3600);
    for (const g of ['gw-a', 'gw-b'])
      await eventually(`${g} Ready`, async () =>
        (await admin.get(`${WB}/gateways/${g}`)).body.status?.phase === 'Ready' ? true : undefined,
      );
    await createDevice('u1');
    await createDevice('u2');
    const now = new Date().toISOString();
    await deviceStatus(gwA, 'u1', { phase: 'Connected', gateway: 'gw-a', lastHeartbeat: now });
    await deviceStatus(gwB, 'u2', { phase: 'Connected', gateway: 'gw-b', lastHeartbeat: now });
    await eventually('u1 Ready', async () =>
      condition((await admin.get(`${WB}/devices/u1`)).body.status, 'Ready')?.status === 'True'
        ? true
        : undefined,
    );
    // A renewal keeps gw-a Ready past its first expiry.
    await sleep(6000);
    await lease(gwA, 'gw-a', Date.now(), 10);
    await sleep(5000);
    expect((await admin.get(`${WB}/gateways/gw-a`)).body.status.phase).toBe('Ready');
    // No more renewals: within 10 s of the last one (+ timer slack) it is gone.
    const gw = await eventually(
      'gw-a NotReady',
      async () => {
        const g = (await admin.get(`${WB}/gateways/gw-a`)).body;
        return g.status?.phase === 'NotReady' ? g : undefined;
      },
      15_000,
    );
    expect(condition(gw.status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'LeaseExpired',
    });
    const u1 = await eventually('u1 Unreachable', async () => {
      const d = (await admin.get(`${WB}/devices/u1`)).body;
      return d.status?.phase === 'Unreachable' ? d : undefined;
    });
    expect(u1.status.gateway).toBe('gw-a');
    expect(condition(u1.status, 'Ready')).toMatchObject({ status: 'False', reason: 'GatewayLost' });
    expect((await eventsFor('u1')).map(e => e.reason)).toContain('GatewayLost');
    const describe = await kubectl(['describe', 'device', 'u1']);
    expect(describe.stdout).toMatch(
      /Warning\s+GatewayLost\s+.*gateway gw-a stopped renewing its Lease/,
    );
    // gw-b's lease is alive: its device stays Connected.
    const u2 = (await admin.get(`${WB}/devices/u2`)).body;
    expect(u2.status.phase).toBe('Connected');
    expect((await admin.get(`${WB}/gateways/gw-b`)).body.status.phase).toBe('Ready');
  });

  it('marks a Connected device Unreachable when its heartbeat deadline has passed', async () => {
    await createDevice('h1');
    // gw-b's timeout is the default 90 s; gateways refresh lastHeartbeat every 5 min at most.
    await deviceStatus(gwB, 'h1', {
      phase: 'Connected',
      gateway: 'gw-b',
      lastHeartbeat: new Date(Date.now() - 6.6 * 60_000).toISOString(),
    });
    const h1 = await eventually('h1 Unreachable', async () => {
      const d = (await admin.get(`${WB}/devices/h1`)).body;
      return d.status?.phase === 'Unreachable' ? d : undefined;
    });
    expect(condition(h1.status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'HeartbeatMissed',
    });
  });

  it('keeps the NotReady a stopping gateway reported while its Lease still runs', async () => {
    const phaseOf = async () => (await admin.get(`${WB}/gateways/gw-b`)).body.status;
    expect((await phaseOf()).phase).toBe('Ready');
    const stop = await gwB.mergePatch(`${WB}/gateways/gw-b/status`, {
      status: { phase: 'NotReady' },
    });
    expect(stop.status).toBe(200);
    const stopped = await eventually('GatewayStopped', async () => {
      const s = await phaseOf();
      return condition(s, 'Ready')?.reason === 'GatewayStopped' ? s : undefined;
    });
    expect(stopped.phase).toBe('NotReady');
    await sleep(1000);
    expect((await phaseOf()).phase).toBe('NotReady');
    // Started again: it reports Ready, and the renewed Lease confirms it.
    await gwB.mergePatch(`${WB}/gateways/gw-b/status`, { status: { phase: 'Ready' } });
    const again = await eventually('Ready again', async () => {
      const s = await phaseOf();
      return condition(s, 'Ready')?.reason === 'LeaseRenewed' ? s : undefined;
    });
    expect(again.phase).toBe('Ready');
  });

  it("puts a revoked device's serials on the revocation list, and releases a deleted one after it", async () => {
    await createDevice('v1');
    const withFinalizer = await eventually('finalizer', async () => {
      const d = (await admin.get(`${WB}/devices/v1`)).body;
      return d.metadata.finalizers?.includes('wasmbed.io/revocation') ? d : undefined;
    });
    expect(withFinalizer.metadata.finalizers).toEqual(['wasmbed.io/revocation']);
    const notAfter = new Date(Date.now() + 30 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await deviceStatus(gwA, 'v1', {
      phase: 'Disconnected',
      gateway: 'gw-a',
      certificateSerials: ['0a1b', '2c'],
      certificate: {
        fingerprintSha256: 'ab'.repeat(32),
        serialNumber: '2c',
        notBefore: '2026-01-01T00:00:00Z',
        notAfter,
      },
    });
    expect(
      (await kubectl(['patch', 'device', 'v1', '--type=merge', '-p', '{"spec":{"revoked":true}}']))
        .code,
    ).toBe(0);
    const list = await eventually('serials listed', async () => {
      const data = (await admin.get(SYSTEM_CM)).body.data ?? {};
      return data['0a1b'] && data['2c'] ? data : undefined;
    });
    expect(list['2c']).toBe(notAfter);
    expect(Date.parse(list['0a1b'])).toBeGreaterThan(Date.now() + 300 * 86400_000);
    const v1 = await eventually('Revoked condition', async () => {
      const d = (await admin.get(`${WB}/devices/v1`)).body;
      return condition(d.status, 'Revoked')?.status === 'True' ? d : undefined;
    });
    expect(v1.metadata.finalizers).toEqual(['wasmbed.io/revocation']);
    expect((await eventsFor('v1')).map(e => e.reason)).toContain('Revoked');

    // Deletion of another device with serials: they are listed, then the finalizer goes.
    await createDevice('v2');
    await eventually('v2 finalizer', async () =>
      (await admin.get(`${WB}/devices/v2`)).body.metadata.finalizers ? true : undefined,
    );
    await deviceStatus(gwA, 'v2', {
      phase: 'Disconnected',
      gateway: 'gw-a',
      certificateSerials: ['ff01'],
    });
    expect((await kubectl(['delete', 'device', 'v2', '--timeout=30s'])).code).toBe(0);
    expect((await admin.get(`${WB}/devices/v2`)).status).toBe(404);
    expect((await admin.get(SYSTEM_CM)).body.data['ff01']).toBeDefined();
  });
});

describe('a restart of the controllers', () => {
  it('converges to the same state without writing anything, and deletes orphans of an Application deleted meanwhile', async () => {
    await sleep(1500);
    const revisionNow = async () =>
      (await admin.get(`${WB}/devices?limit=1`)).body.metadata.resourceVersion as string;
    const before = await revisionNow();
    expect(await stopProcess(controllers!.child, 'SIGTERM')).toBe(0);
    // The store's revision is global: an unchanged one means no write of any kind.
    expect(await revisionNow()).toBe(before);
    controllers = await startControllersProcess(api.kubeconfig);
    await sleep(3000);
    expect(await revisionNow()).toBe(before);

    expect(await stopProcess(controllers.child, 'SIGTERM')).toBe(0);
    expect((await instancesOf('roll')).length).toBe(4);
    expect((await admin.del(`${WB}/applications/roll`)).status).toBe(200);
    expect((await instancesOf('roll')).length).toBe(4);
    controllers = await startControllersProcess(api.kubeconfig);
    await eventually('orphans deleted', async () =>
      (await instancesOf('roll')).length === 0 ? true : undefined,
    );
  });
});
