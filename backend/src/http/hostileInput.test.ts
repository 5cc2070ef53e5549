import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startApiServer, type ApiServer } from '../server';
import { request } from './testClient';

/** Every byte from the network is hostile: none of this may end the process or wedge it. */
describe('hostile clients', () => {
  let dir: string;
  let server: ApiServer;
  const token = 'tok-admin';
  const call = (
    method: string,
    p: string,
    options: { headers?: Record<string, string>; body?: string } = {},
  ) => request(server.url, server.caPem, method, p, { ...options, token });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-hostile-'));
    const tokens = path.join(dir, 'tokens.csv');
    writeFileSync(tokens, `${token},admin,uid-admin,"system:masters"\n`);
    server = await startApiServer({
      dataDir: path.join(dir, 'data'),
      tokenAuthFile: tokens,
      watchLimits: { maxWatches: 3, maxBufferedBytes: 1024 * 1024 },
      log: () => {},
    });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const healthy = async () => expect((await call('GET', '/healthz')).status).toBe(200);

  /** Sends raw bytes over TLS and returns what comes back before the server closes. */
  const raw = (bytes: string | Buffer) =>
    new Promise<string>(resolve => {
      const url = new URL(server.url);
      const socket = tls.connect(
        { host: url.hostname, port: Number(url.port), ca: server.caPem },
        () => socket.end(bytes),
      );
      let out = '';
      socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
      socket.setTimeout(5000, () => socket.destroy());
    });

  it('answers malformed HTTP with 400 and oversized headers with 431', async () => {
    expect(await raw('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(
      await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]))).toMatch(/^HTTP\/1\.1 400/);
    await healthy();
  });

  it('answers a plaintext client on the TLS port without harm', async () => {
    const url = new URL(server.url);
    await new Promise<void>(resolve => {
      const net = require('node:net') as typeof import('node:net'); // eslint-disable-line @typescript-eslint/no-require-imports
      const s = net.connect(Number(url.port), url.hostname, () => s.end('GET / HTTP/1.1\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    await healthy();
  });

  it.each([
    ['a broken percent-encoding', 'GET', '/api/v1/namespaces/%E0%A4%A/configmaps', undefined],
    ['a path of many segments', 'GET', `/apis/${'x/'.repeat(500)}`, undefined],
    [
      'a bad label selector',
      'GET',
      '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(',
      undefined,
    ],
    [
      'a bad field selector watch',
      'GET',
      '/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=%3D%3D%3D',
      undefined,
    ],
    [
      'a JSON patch that is not a list',
      'PATCH',
      '/api/v1/namespaces/default/configmaps/x',
      '{"op":"add"}',
    ],
    [
      'deeply nested JSON',
      'POST',
      '/api/v1/namespaces/default/configmaps',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    ],
    [
      'a YAML alias bomb',
      'POST',
      '/api/v1/namespaces/default/configmaps',
      `a: &a ["x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
    ],
    ['DeleteOptions that are not JSON', 'DELETE', '/api/v1/namespaces/default/configmaps/x', '{{{'],
  ])('refuses %s with a 4xx Status', async (_what, method, p, body) => {
    const contentType =
      method === 'PATCH'
        ? 'application/json-patch+json'
        : body?.startsWith('a:')
          ? 'application/yaml'
          : 'application/json';
    const res = await call(
      method,
      p,
      body === undefined ? {} : { headers: { 'Content-Type': contentType }, body },
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    if (res.headers['content-type'] === 'application/json') expect(res.json().kind).toBe('Status');
    await healthy();
  });

  it('bounds concurrent watches (429 with Retry-After beyond the bound) and frees a slot when a client leaves', async () => {
    const open = () =>
      new Promise<{ status: number; headers: Record<string, unknown>; close: () => void }>(
        (resolve, reject) => {
          const req = https.get(
            `${server.url}/api/v1/namespaces/default/configmaps?watch=1`,
            { ca: server.caPem, agent: false, headers: { Authorization: `Bearer ${token}` } },
            res => {
              res.resume();
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                close: () => req.destroy(),
              });
            },
          );
          req.on('error', reject);
        },
      );
    const watches = [await open(), await open(), await open()];
    expect(watches.map(w => w.status)).toEqual([200, 200, 200]);
    const refused = await open();
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '1']);
    watches[0]!.close();
    let again = refused;
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await new Promise(r => setTimeout(r, 50));
      again = await open();
    }
    expect(again.status).toBe(200);
    for (const w of [...watches, again]) w.close();
    await healthy();
  });
});
