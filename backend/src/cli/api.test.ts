import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from '../http/testClient';

const CLI = path.resolve(__dirname, 'api.ts');
const READY = /^wasmbed-api: serving (https:\/\/127\.0\.0\.1:(\d+)) \(kubeconfig (.+)\)$/;

interface Running {
  child: ChildProcess;
  url: string;
  kubeconfig: string;
  exit: Promise<number | null>;
}

function run(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function start(args: string[]): Promise<Running> {
  const p = run(args);
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${p.stderr()}`)), 30_000);
    const check = () => {
      const nl = p.stdout().indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(p.stdout().slice(0, nl));
      }
    };
    p.child.stdout!.on('data', check);
    p.exit.then(code => reject(new Error(`exited ${code}: ${p.stderr()}`)));
  });
  const m = READY.exec(line);
  if (!m) throw new Error(`unexpected ready line: ${line}`);
  return { child: p.child, url: m[1]!, kubeconfig: m[3]!, exit: p.exit };
}

describe('npm run api (the CLI)', () => {
  let dir: string;
  const running: ChildProcess[] = [];
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'api-cli-'))));
  afterEach(() => {
    for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one ready line, stops on SIGTERM with 0, and keeps its CA and data across a restart', async () => {
    const data = path.join(dir, 'data');
    const first = await start(['--data', data, '--port', '0']);
    running.push(first.child);
    expect(first.kubeconfig).toBe(path.join(data, 'kubeconfig'));
    const ca = readFileSync(path.join(data, 'ca.crt'), 'utf8');
    const token = readFileSync(path.join(data, 'admin.token'), 'utf8').trim();
    expect(readFileSync(first.kubeconfig, 'utf8')).toContain(`server: ${first.url}`);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kept' },
      data: { a: 'b' },
    };
    const created = await request(first.url, ca, 'POST', '/api/v1/namespaces/default/configmaps', {
      token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(cm),
    });
    expect(created.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    const second = await start(['--data', data, '--port', '0']);
    running.push(second.child);
    expect(readFileSync(path.join(data, 'ca.crt'), 'utf8')).toBe(ca);
    const kept = await request(
      second.url,
      ca,
      'GET',
      '/api/v1/namespaces/default/configmaps/kept',
      { token },
    );
    expect([kept.status, kept.json().data]).toEqual([200, { a: 'b' }]);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  }, 60_000);

  it('on SIGTERM finishes the writes in flight: every create answered 201 is there after a restart', async () => {
    const data = path.join(dir, 'data');
    const first = await start(['--data', data]);
    running.push(first.child);
    const ca = readFileSync(path.join(data, 'ca.crt'), 'utf8');
    const token = readFileSync(path.join(data, 'admin.token'), 'utf8').trim();
    const create = (i: number) =>
      request(first.url, ca, 'POST', '/api/v1/namespaces/default/configmaps', {
        token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}` },
        }),
      }).then(
        r => ({ i, status: r.status }),
        () => ({ i, status: 0 }), // refused or cut once the server stopped accepting
      );
    const writes = Array.from({ length: 40 }, (_, i) => create(i));
    await Promise.race(writes);
    first.child.kill('SIGTERM');
    const results = await Promise.all(writes);
    expect(await first.exit).toBe(0);
    const acknowledged = results.filter(r => r.status === 201).map(r => r.i);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(results.every(r => r.status === 201 || r.status === 0)).toBe(true);

    const second = await start(['--data', data]);
    running.push(second.child);
    const list = await request(second.url, ca, 'GET', '/api/v1/namespaces/default/configmaps', {
      token,
    });
    const names = new Set(
      list.json().items.map((c: { metadata: { name: string } }) => c.metadata.name),
    );
    for (const i of acknowledged) expect(names).toContain(`cm-${i}`);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  }, 60_000);

  it('refuses bad flags with usage and exit 2', async () => {
    for (const args of [
      ['--port', '1'],
      ['--data', dir, '--port', 'x'],
      ['--data', dir, '--bogus'],
    ]) {
      const p = run(args);
      expect(await p.exit).toBe(2);
      expect(p.stderr()).toMatch(/^wasmbed-api: .*\nusage: api --data DIR/s);
    }
  }, 30_000);

  it('says so when the port is in use or the data directory cannot be used (exit 1)', async () => {
    const blocker = net.createServer();
    await new Promise<void>(r => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const busy = run(['--data', path.join(dir, 'a'), '--port', String(port)]);
      expect(await busy.exit).toBe(1);
      expect(busy.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const bad = run(['--data', file]);
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toContain(`data directory ${file} is not usable`);
  }, 30_000);
});
