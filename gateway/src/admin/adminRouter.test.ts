import { startAdminServer } from './adminRouter';
import { eventually, startTestGateway, type TestGateway, wasmModule } from '../testSupport';
import { DeviceClient } from '../client/deviceClient';
import { DeviceIdentity } from '../client/deviceIdentity';

describe('admin API (loopback HTTP)', () => {
  let t: TestGateway;
  let admin: Awaited<ReturnType<typeof startAdminServer>>;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway();
    admin = await startAdminServer(t.gateway, t.controlPlane, 0);
    base = `http://127.0.0.1:${admin.port}`;
  });
  afterAll(async () => {
    await admin.close();
    await t.stop();
  });

  const post = (path: string, body: unknown) =>
    fetch(base + path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  it('registers a device, which then enrolls, connects and takes a deploy', async () => {
    expect((await post('/devices', { name: 'adm-1', token: 'secret-token-1' })).status).toBe(201);
    const client = new DeviceClient(await DeviceIdentity.create('adm-1'), t.address);
    await client.enroll('secret-token-1');
    await client.connect();
    const sessions = (await (await fetch(`${base}/sessions`)).json()) as { device: string }[];
    expect(sessions.map(s => s.device)).toContain('adm-1');

    const module = wasmModule(
      [{ module: 'wasmbed', name: 'log', params: 'iii', results: '' }],
      3000,
    );
    const res = await post('/deploy', {
      app: 'hello',
      module: Buffer.from(module).toString('base64'),
      devices: ['adm-1'],
    });
    expect(res.status).toBe(202);
    await new Promise(r => client.once('deployed', r));
    client.telemetry('hello', 'temperature', 21.5);
    await eventually(() => t.controlPlane.telemetry('adm-1').length > 0);
    const device = (await (await fetch(`${base}/devices/adm-1`)).json()) as {
      telemetry: unknown[];
      phase: string;
    };
    expect(device.phase).toBe('Connected');
    expect(device.telemetry[0]).toMatchObject({ app: 'hello', topic: 'temperature', value: 21.5 });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/wasmbed_gateway_sessions 1/);
    expect(metrics).toMatch(/wasmbed_gateway_enrollments_total\{outcome="ok"\} 1/);
    client.close();
  });

  it('sends a command to an app on a connected device and returns its answer', async () => {
    expect((await post('/devices', { name: 'adm-cmd', token: 'secret-token-2' })).status).toBe(201);
    const client = new DeviceClient(await DeviceIdentity.create('adm-cmd'), t.address);
    await client.enroll('secret-token-2');
    const url = '/devices/adm-cmd/command';
    expect((await post(url, { app: 'lamp', name: 'toggle' })).status).toBe(409);
    await client.connect();
    const seen: string[] = [];
    client.commandHandler = m => {
      seen.push(`${m.app}/${m.name}/${Buffer.from(m.payload ?? []).toString()}`);
      return { ok: true, result: new TextEncoder().encode('now on') };
    };
    const res = await post(url, {
      app: 'lamp',
      name: 'toggle',
      payload: Buffer.from('50%').toString('base64'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ app: 'lamp', ok: true, resultText: 'now on' });
    expect(seen).toEqual(['lamp/toggle/50%']);
    const tooBig = Buffer.alloc(1025).toString('base64');
    expect((await post(url, { app: 'lamp', name: 'x', payload: tooBig })).status).toBe(422);
    client.close();
  });

  it('answers bad input with a Kubernetes Status naming the problem', async () => {
    const res = await post('/devices', { name: 'Bad_Name', token: 'x' });
    expect(res.status).toBe(422);
    const status = (await res.json()) as { kind: string; message: string };
    expect(status.kind).toBe('Status');
    expect(status.message).toContain('name: must be an RFC 1123 name');
    expect(status.message).toContain('token: String must contain at least 8 character(s)');
    expect((await post('/deploy', { app: 'a', module: 'AAAA', devices: ['nobody'] })).status).toBe(
      404,
    );
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    expect((await fetch(`${base}/devices`, { method: 'POST', body: '{' })).status).toBe(400);
  });
});
