import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceClient, EnrollmentRefused } from './client/deviceClient';
import { DeviceIdentity } from './client/deviceIdentity';
import { JournalControlPlaneFixture } from './fixture/journalControlPlane';

/** The fixture gateway (fixture/cli.ts) as its own process; resolves with its ports once ready. */
async function startGatewayProcess(dataDir: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'fixture', 'cli.ts'),
      '--port',
      '0',
      '--enroll-port',
      '0',
      '--admin-port',
      '0',
      '--data',
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ports = await new Promise<{ port: number; enrollPort: number; admin: string }>(
    (resolve, reject) => {
      let text = '';
      let listening: { port: number; enrollPort: number } | undefined;
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        for (const line of text.split('\n').slice(0, -1)) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === 'gateway listening') listening = entry as never;
          if (entry.msg === 'admin API ready' && listening)
            resolve({ ...listening, admin: String(entry.admin) });
        }
        text = text.slice(text.lastIndexOf('\n') + 1);
      });
      child.once('exit', code => reject(new Error(`gateway exited with ${code}`)));
    },
  );
  return { child, ...ports };
}

const killed = (child: ChildProcess) =>
  new Promise<void>(resolve => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('durable before acknowledged', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'durable-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a gateway killed right after it sent a certificate keeps the token spent and the serial known', async () => {
    const first = await startGatewayProcess(dir);
    const adminToken = readFileSync(path.join(dir, 'admin.token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const res = await fetch(`${first.admin}/devices`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'crash-1', token: 'one-time-token-1' }),
    });
    expect(res.status).toBe(201);
    const caPem = readFileSync(path.join(dir, 'ca', 'ca.crt.pem'), 'utf8');
    const address = (g: typeof first) => ({
      host: '127.0.0.1',
      port: g.port,
      enrollPort: g.enrollPort,
      caPem,
    });
    const device = new DeviceClient(await DeviceIdentity.create('crash-1'), address(first));
    const certificate = await device.enroll('one-time-token-1');
    await killed(first.child); // the moment the certificate has arrived: kill -9

    const second = await startGatewayProcess(dir);
    try {
      const again = new DeviceClient(await DeviceIdentity.create('crash-1'), address(second));
      const refused = await again.enroll('one-time-token-1').catch((e: Error) => e);
      expect(refused).toBeInstanceOf(EnrollmentRefused);
      expect((refused as EnrollmentRefused).code).toBe('tokenUsed');
      const state = new JournalControlPlaneFixture(path.join(dir, 'control-plane.json'));
      expect(await state.certificateSerials('crash-1')).toContain(
        certificate.serialNumber.toLowerCase(),
      );
    } finally {
      await killed(second.child);
    }
  }, 60_000);
});
