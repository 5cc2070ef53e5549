import { createHash } from 'node:crypto';
import {
  ANNOTATION_TOKEN_REDEEMED_BY,
  CA_SECRET,
  gatewayLeaseName,
  REVOCATIONS_CONFIGMAP,
  SYSTEM_NAMESPACE,
  type AppInstance,
  type Device,
  type Gateway as GatewayObject,
} from '@wasmbed/plugin-wasmbed-common';
import { DeviceClient } from '../../client/deviceClient';
import { DeviceIdentity } from '../../client/deviceIdentity';
import { wasmModule } from '../../testSupport';
import { paths } from './kubeApi';
import { type GatewayProcess, NS, TestPlatform, until } from './testPlatform';

jest.setTimeout(120_000);

const telemetryModule = wasmModule(
  [{ module: 'wasmbed', name: 'publish', params: 'iid', results: 'i' }],
  6000,
);

const device = (name: string) => paths.wasmbed(NS, 'devices', name);
const instance = (name: string) => paths.wasmbed(NS, 'appinstances', name);

describe('gateway on the Kubernetes API (real API server process, gateway identities)', () => {
  let platform: TestPlatform;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const clients: DeviceClient[] = [];

  const address = (g: GatewayProcess) => ({
    host: '127.0.0.1',
    port: g.port,
    enrollPort: g.enrollPort,
    caPem: g.caPem,
  });
  /** The gateways learn of a new Device by their watch: a moment. */
  const seen = () => new Promise(r => setTimeout(r, 500));
  async function client(name: string, gateways: GatewayProcess[]): Promise<DeviceClient> {
    const c = new DeviceClient(await DeviceIdentity.create(name), gateways.map(address));
    clients.push(c);
    return c;
  }
  const counter = (g: GatewayProcess, name: string, labels = '') => g.metric(name, labels);

  beforeAll(async () => {
    platform = await TestPlatform.start(['gw-a', 'gw-b', 'gw-c']);
    a = await platform.gateway('gw-a');
    b = await platform.gateway('gw-b');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await platform?.stop();
  });

  test('both gateways share the fleet CA from the Secret; each registered its Gateway and holds its Lease', async () => {
    const secret = await platform.get<{ data: Record<string, string> }>(
      paths.core(SYSTEM_NAMESPACE, 'secrets', CA_SECRET),
    );
    const caPem = Buffer.from(secret.data['tls.crt']!, 'base64').toString();
    expect(a.caPem.trim()).toBe(caPem.trim());
    expect(b.caPem.trim()).toBe(caPem.trim());
    const gw = await until(async () => {
      const o = await platform.get<GatewayObject>(paths.wasmbed(NS, 'gateways', 'gw-a'));
      return o.status?.phase === 'Ready' && o;
    });
    expect(gw.spec.endpoint).toBe(`127.0.0.1:${a.port}`);
    expect(gw.status?.endpoints).toEqual({
      devices: `127.0.0.1:${a.port}`,
      enrollment: `127.0.0.1:${a.enrollPort}`,
    });
    type Lease = {
      spec: { holderIdentity: string; renewTime: string; leaseDurationSeconds: number };
    };
    const lease = await platform.get<Lease>(paths.lease(NS, gatewayLeaseName('gw-a')));
    expect(lease.spec.holderIdentity).toBe('gw-a');
    expect(lease.spec.leaseDurationSeconds).toBe(10);
    const renewed = await until(
      async () => {
        const l = await platform.get<Lease>(paths.lease(NS, gatewayLeaseName('gw-a')));
        return Date.parse(l.spec.renewTime) > Date.parse(lease.spec.renewTime) && l;
      },
      8000,
      'lease renewal',
    );
    expect(renewed.spec.holderIdentity).toBe('gw-a');
    const health = await fetch(`http://127.0.0.1:${a.healthPort}/healthz`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { sessions: number; memory: { rss: number } };
    expect(body.memory.rss).toBeGreaterThan(0);
  });

  test('two gateways race for one bootstrap token: exactly one redeems it', async () => {
    const token = await platform.device('race-1');
    await seen();
    const atA = await client('race-1', [a]);
    const atB = await client('race-1', [b]);
    const outcomes = await Promise.allSettled([atA.enroll(token), atB.enroll(token)]);
    const won = outcomes.filter(o => o.status === 'fulfilled');
    const lost = outcomes.flatMap(o => (o.status === 'rejected' ? [String(o.reason)] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual([expect.stringMatching(/tokenUsed/)]);
    const secret = await platform.get<{ metadata: { annotations: Record<string, string> } }>(
      paths.core(NS, 'secrets', 'race-1-token'),
    );
    expect(['gw-a', 'gw-b']).toContain(secret.metadata.annotations[ANNOTATION_TOKEN_REDEEMED_BY]);
    const wrong = await client('race-1', [a]);
    await expect(wrong.enroll('not-the-token')).rejects.toThrow(/tokenUsed|tokenInvalid/);
  });

  test('a device client enrolls, connects and runs an app end to end; a device enrolled at one gateway is taken over by the other without a redeploy', async () => {
    const token = await platform.device('dev-1');
    const c = await client('dev-1', [a]);
    await seen();
    const cert = await c.enroll(token);
    let d = await platform.get<Device>(device('dev-1'));
    expect(d.status?.certificateSerials).toContain(cert.serialNumber.toLowerCase());
    // Enrolled, and held by no gateway until a session opens.
    expect(d.status?.phase).toBe('Enrolled');
    expect(d.status?.gateway).toBeUndefined();
    await c.connect();
    d = await until(async () => {
      const o = await platform.get<Device>(device('dev-1'));
      return o.status?.phase === 'Connected' && o;
    });
    expect(d.status?.gateway).toBe('gw-a');
    expect(d.status?.firmwareVersion).toBe('ts-client-0.1.0');

    const name = await platform.appInstance('telemetry', 'dev-1', telemetryModule, { unit: 'C' });
    const sha = createHash('sha256').update(telemetryModule).digest('hex');
    await until(() => c.slots.get('telemetry')?.state === 'running', 15_000, 'deploy');
    expect(c.slots.get('telemetry')?.sha256).toBe(sha);
    expect(c.slots.get('telemetry')?.config).toEqual({ unit: 'C' });
    const running = await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return (
        i.status?.phase === 'Running' && i.status.observedGeneration === i.metadata.generation && i
      );
    });
    expect(running.status?.gateway).toBe('gw-a');
    expect(running.status?.moduleSha256).toBe(sha);
    c.telemetry('telemetry', 'temperature', 21.5);
    const withTelemetry = await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return (i.status?.telemetry?.length ?? 0) > 0 && i;
    });
    expect(withTelemetry.status?.telemetry?.[0]).toMatchObject({
      topic: 'temperature',
      value: 21.5,
    });
    const events = await platform.get<{
      items: { reason: string; involvedObject: { name: string } }[];
    }>(paths.core(NS, 'events'));
    const reasons = events.items.filter(e => e.involvedObject.name === 'dev-1').map(e => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Enrolled', 'Connected']));

    // Takeover: the session at gw-a ends, the device dials gw-b with the same certificate.
    expect(c.deploysReceived.get('telemetry')).toBe(1);
    c.close();
    await until(
      async () => (await platform.get<Device>(device('dev-1'))).status?.phase === 'Disconnected',
    );
    const keptBefore = await counter(b, 'wasmbed_gateway_apps_kept_total');
    const c2 = new DeviceClient(c.identity, [address(b)]);
    clients.push(c2);
    for (const [app, slot] of c.slots) c2.slots.set(app, slot);
    await c2.connect();
    d = await until(async () => {
      const o = await platform.get<Device>(device('dev-1'));
      return o.status?.phase === 'Connected' && o.status.gateway === 'gw-b' && o;
    });
    await until(
      async () => (await platform.get<AppInstance>(instance(name))).status?.gateway === 'gw-b',
    );
    expect(c2.deploysReceived.get('telemetry') ?? 0).toBe(0);
    expect(await counter(b, 'wasmbed_gateway_apps_kept_total')).toBe(keptBefore + 1);
    expect(await counter(b, 'wasmbed_gateway_deploys_total', '{outcome="sent"}')).toBe(0);

    // A new spec (config) is sent again; deleting the AppInstance removes the app.
    const current = await platform.get<AppInstance>(instance(name));
    await platform.admin.request(
      'PATCH',
      instance(name),
      { spec: { config: { unit: 'F' } } },
      'application/merge-patch+json',
    );
    // (The TS client keeps a slot's old config when the same module is sent again: the
    // deployBegin it receives is what shows the new spec went out.)
    await until(() => c2.deploysReceived.get('telemetry') === 1, 15_000, 'redeploy');
    await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return i.status?.observedGeneration === (current.metadata.generation ?? 1) + 1;
    });
    await platform.admin.request('DELETE', instance(name));
    await until(() => !c2.slots.has('telemetry'), 15_000, 'app removed');
  });

  test('a module whose bytes do not match its digest is refused and reported, never sent', async () => {
    const token = await platform.device('dev-2');
    const c = await client('dev-2', [a]);
    await seen();
    await c.enroll(token);
    await c.connect();
    const other = createHash('sha256').update('not these bytes').digest('hex');
    const name = await platform.appInstance('bad', 'dev-2', telemetryModule, undefined, other);
    const failed = await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return i.status?.phase === 'Failed' && i;
    });
    expect(failed.status?.lastError).toMatch(/sha256/);
    expect(c.deploysReceived.get('bad') ?? 0).toBe(0);
  });

  test('status coalescing: a burst of heartbeats and telemetry becomes a handful of writes', async () => {
    const token = await platform.device('dev-3');
    const c = await client('dev-3', [a]);
    await seen();
    await c.enroll(token);
    await c.connect({ heartbeats: false });
    const name = await platform.appInstance('counter', 'dev-3', telemetryModule);
    await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return i.status?.phase === 'Running' && i.status.observedGeneration === 1;
    });
    await new Promise(r => setTimeout(r, 1500)); // the last status writes land
    const rv = async (p: string) =>
      Number(
        (await platform.get<{ metadata: { resourceVersion: string } }>(p)).metadata.resourceVersion,
      );
    const deviceBefore = await rv(device('dev-3'));
    const instanceBefore = await rv(instance(name));
    const written = async () =>
      (await counter(
        a,
        'wasmbed_gateway_api_writes_total',
        '{kind="appinstances",outcome="written"}',
      )) +
      (await counter(a, 'wasmbed_gateway_api_writes_total', '{kind="devices",outcome="written"}'));
    const writesBefore = await written();
    const started = Date.now();
    for (let k = 0; k < 40; k++) {
      await c.heartbeat();
      c.telemetry('counter', 'n', k);
      c.telemetry('counter', 'm', -k);
    }
    const last = await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return i.status?.telemetry?.find(t => t.topic === 'n' && t.value === 39) && i;
    });
    const seconds = (Date.now() - started) / 1000;
    expect(last.status?.telemetry?.find(t => t.topic === 'm')?.value).toBe(-39);
    // 40 heartbeats: the device object is not rewritten (lastHeartbeat refresh is 5 min).
    expect(await rv(device('dev-3'))).toBe(deviceBefore);
    // 80 telemetry reports: one write per flush (500 ms) at most, plus the last one.
    const writes = (await written()) - writesBefore;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(Math.ceil(seconds / 0.5) + 2);
    expect(await rv(instance(name))).toBeGreaterThan(instanceBefore);
  });

  test('a revoked device is cut off, and its serial refused at the next handshake', async () => {
    const token = await platform.device('dev-4');
    const c = await client('dev-4', [a]);
    await seen();
    await c.enroll(token);
    await c.connect();
    const closed = new Promise<string>(resolve => c.once('closed', resolve));
    await platform.admin.request(
      'PATCH',
      device('dev-4'),
      { spec: { revoked: true } },
      'application/merge-patch+json',
    );
    expect(await closed).toBeDefined();
    await expect(c.connect({ connectTimeoutMs: 3000 })).rejects.toThrow();
  });

  test('a serial on the fleet revocation ConfigMap is refused by every gateway', async () => {
    const token = await platform.device('dev-5');
    const c = await client('dev-5', [b]);
    await seen();
    const cert = await c.enroll(token);
    await c.connect({ heartbeats: false });
    c.close();
    await platform.admin.request('POST', paths.core(SYSTEM_NAMESPACE, 'configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: REVOCATIONS_CONFIGMAP },
      data: { [cert.serialNumber.toLowerCase()]: cert.notAfter.toISOString() },
    });
    // gw-a never saw this device revoked: only the ConfigMap tells it.
    const atA = new DeviceClient(c.identity, [address(a)]);
    clients.push(atA);
    await until(
      async () => {
        try {
          await atA.connect({ heartbeats: false, connectTimeoutMs: 3000 });
          atA.close();
          return false;
        } catch {
          return true;
        }
      },
      10_000,
      'refusal at gw-a',
    );
    expect(a.log.some(l => l.msg === 'device handshake refused')).toBe(true);
  });

  test('kill -9 of the gateway holding a device: the other keeps its report pending while the device is held (403), writes it once freed, and re-sends nothing', async () => {
    const c3 = await platform.gateway('gw-c');
    const token = await platform.device('dev-6');
    const c = await client('dev-6', [c3]);
    await seen();
    await c.enroll(token);
    await c.connect({ heartbeats: false });
    const name = await platform.appInstance('telemetry', 'dev-6', telemetryModule);
    await until(async () => {
      const i = await platform.get<AppInstance>(instance(name));
      return i.status?.phase === 'Running' && i.status.observedGeneration === 1;
    });
    await until(async () => {
      const d = await platform.get<Device>(device('dev-6'));
      return d.status?.phase === 'Connected' && d.status.gateway === 'gw-c';
    });
    await c3.stop('SIGKILL');
    c.close();
    const refusedBefore = await b.metric(
      'wasmbed_gateway_api_writes_total',
      '{kind="devices",outcome="refused"}',
    );
    const moved = new DeviceClient(c.identity, [address(b)]);
    clients.push(moved);
    for (const [app, slot] of c.slots) moved.slots.set(app, slot);
    await moved.connect({ heartbeats: false });
    // Still held by gw-c (Connected): gw-b's write is refused and kept.
    await until(
      async () =>
        (await b.metric('wasmbed_gateway_api_writes_total', '{kind="devices",outcome="refused"}')) >
        refusedBefore,
      10_000,
      'a refused write',
    );
    expect((await platform.get<Device>(device('dev-6'))).status?.gateway).toBe('gw-c');
    // What the Device controller does once gw-c's Lease expired.
    await platform.admin.request(
      'PATCH',
      `${device('dev-6')}/status`,
      { status: { phase: 'Unreachable' } },
      'application/merge-patch+json',
    );
    await until(
      async () => {
        const d = await platform.get<Device>(device('dev-6'));
        return d.status?.phase === 'Connected' && d.status.gateway === 'gw-b';
      },
      20_000,
      'gw-b reporting the device',
    );
    expect(moved.deploysReceived.get('telemetry') ?? 0).toBe(0);
    const events = await platform.get<{
      items: { reason: string; involvedObject: { name: string } }[];
    }>(paths.core(NS, 'events'));
    expect(
      events.items.some(e => e.involvedObject.name === 'dev-6' && e.reason === 'TakenOver'),
    ).toBe(true);
  });
});
