import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startAdminServer } from './adminRouter';
import { eventually, startTestGateway, type TestGateway, wasmModule } from '../testSupport';
import { DeviceClient } from '../client/deviceClient';
import { DeviceIdentity } from '../client/deviceIdentity';

describe('admin API (loopback HTTP)', () => {
  let t: TestGateway;
  let admin: Awaited<ReturnType<typeof startAdminServer>>;
  let base: string;
  let auth: { authorization: string };
  beforeAll(async () => {
    t = await startTestGateway();
    admin = await startAdminServer(t.gateway, t.controlPlane, 0);
    base = `http://127.0.0.1:${admin.port}`;
    auth = { authorization: `Bearer ${admin.token}` };
  });
  afterAll(async () => {
    await admin.close();
    await t.stop();
  });

  const post = (path: string, body: unknown) =>
    fetch(base + path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...auth },
    });
  const get = (path: string) => fetch(base + path, { headers: auth });

  it('registers a device, which then enrolls, connects and takes a deploy', async () => {
    expect((await post('/devices', { name: 'adm-1', token: 'secret-token-1' })).status).toBe(201);
    const client = new DeviceClient(await DeviceIdentity.create('adm-1'), t.address);
    await client.enroll('secret-token-1');
    await client.connect();
    const sessions = (await (await get('/sessions')).json()) as { device: string }[];
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
    const device = (await (await get('/devices/adm-1')).json()) as {
      telemetry: unknown[];
      phase: string;
    };
    expect(device.phase).toBe('Connected');
    expect(device.telemetry[0]).toMatchObject({ app: 'hello', topic: 'temperature', value: 21.5 });

    const metrics = await (await get('/metrics')).text();
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
    expect((await get('/nowhere')).status).toBe(404);
    const broken = await fetch(`${base}/devices`, {
      method: 'POST',
      body: '{',
      headers: { 'content-type': 'application/json', ...auth },
    });
    expect(broken.status).toBe(400);
  });

  describe('refuses what a browser page or another local user could send', () => {
    // Raw HTTP, so Host and Origin are exactly what a browser would put there.
    const send = (headers: Record<string, string>, body = '', method = 'POST', path = '/devices') =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: admin.port, method, path, headers, setHost: false },
          res => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const register = (name: string) => JSON.stringify({ name, token: 'chosen-by-the-page' });
    const good = () => ({
      host: `127.0.0.1:${admin.port}`,
      'content-type': 'application/json',
      authorization: `Bearer ${admin.token}`,
    });

    it.each([
      ['a foreign Origin', { origin: 'http://evil.example' }, 403],
      ['a foreign Host (DNS rebinding)', { host: 'evil.example:PORT' }, 403],
      ['a loopback Host on another port', { host: '127.0.0.1:80' }, 403],
      ['text/plain (a no-preflight fetch)', { 'content-type': 'text/plain' }, 415],
      ['a form post', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['no token', { authorization: '' }, 401],
      ['a wrong token', { authorization: 'Bearer not-the-token' }, 401],
    ])('%s: refused, nothing changed', async (what, change, status) => {
      const name = `page-${status}-${String(what).length}`;
      const headers: Record<string, string> = { ...good(), ...change };
      for (const k of Object.keys(headers)) {
        headers[k] = headers[k]!.replace('PORT', String(admin.port));
        if (headers[k] === '') delete headers[k];
      }
      expect(await send(headers, register(name))).toBe(status);
      // A revocation has no body: refused all the same.
      expect(t.controlPlane.deviceNames()).not.toContain(name);
      expect(await send({ ...headers }, '', 'POST', '/devices/adm-1/revoke')).toBe(status);
      expect(await t.controlPlane.getDevice('adm-1')).toMatchObject({ revoked: false });
    });

    it('answers with everything right, by any loopback name', async () => {
      expect(await send(good(), register('page-ok'))).toBe(201);
      for (const host of [`localhost:${admin.port}`, `[::1]:${admin.port}`]) {
        expect(await send({ ...good(), host }, '', 'GET', '/healthz')).toBe(200);
      }
      expect(
        await send({ ...good(), origin: `http://localhost:${admin.port}` }, '', 'GET', '/healthz'),
      ).toBe(200);
    });

    it('keeps the token in the data directory, owner-only', () => {
      const file = path.join(t.dataDir, 'admin.token');
      expect(readFileSync(file, 'utf8').trim()).toBe(admin.token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    });
  });
});
