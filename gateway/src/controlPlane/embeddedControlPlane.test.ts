import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EmbeddedControlPlane,
  MAX_APPS_PER_DEVICE,
  MAX_SERIALS_PER_DEVICE,
} from './embeddedControlPlane';
import { StateLimitError } from './types';

describe('embedded control plane state file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ecp-'));
    file = path.join(dir, 'control-plane.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const module = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...Array(5000).fill(7)]);
  const sha256 = createHash('sha256').update(module).digest('hex');

  it('keeps desired apps across a restart, each module stored once', async () => {
    const before = new EmbeddedControlPlane(file);
    for (const name of ['a', 'b', 'c']) {
      before.registerDevice({ name, token: `token-${name}` });
      before.setDesiredApp(name, {
        name: 'telemetry',
        module,
        sha256,
        config: { topic: name },
        limits: { memoryBytes: 65536, fuelPerActivation: 100000, maxRestarts: 2 },
        running: true,
      });
    }
    before.removeDesiredApp('c', 'telemetry');
    before.flush();

    const text = readFileSync(file, 'utf8');
    expect(text.split(Buffer.from(module).toString('base64')).length - 1).toBe(1);

    const after = new EmbeddedControlPlane(file);
    const [app] = await after.desiredApps('b');
    expect(app).toMatchObject({
      name: 'telemetry',
      sha256,
      config: { topic: 'b' },
      limits: { maxRestarts: 2 },
      running: true,
    });
    expect(Buffer.from(app!.module).equals(Buffer.from(module))).toBe(true);
    expect(await after.desiredApps('c')).toEqual([]);
    expect(await after.redeemBootstrapToken('a', 'token-a')).toBe('ok');
  });

  it('refuses a state file whose module does not match its hash', () => {
    const cp = new EmbeddedControlPlane(file);
    cp.registerDevice({ name: 'a', token: 'token-a' });
    cp.setDesiredApp('a', { name: 'x', module, sha256, running: true });
    cp.flush();
    const state = JSON.parse(readFileSync(file, 'utf8')) as { modules: Record<string, string> };
    state.modules[sha256] = Buffer.from('not the module').toString('base64');
    writeFileSync(file, JSON.stringify(state));
    expect(() => new EmbeddedControlPlane(file)).toThrow(/does not match its hash/);
  });

  it('journals each change durably without rewriting the state file, and replays it', async () => {
    const cp = new EmbeddedControlPlane(file);
    for (let i = 0; i < 20; i++) cp.registerDevice({ name: `d${i}`, token: `token-${i}` });
    expect(await cp.redeemBootstrapToken('d3', 'token-3')).toBe('ok');
    await cp.reportDevice('d3', { certificate: facts('0aa3') });
    // Heartbeat-level observations are not kept: they never reach the disk.
    const journal = readFileSync(`${file}.journal`, 'utf8');
    await cp.reportDevice('d3', { phase: 'Connected', lastHeartbeat: new Date() });
    await cp.committed();
    expect(readFileSync(`${file}.journal`, 'utf8')).toBe(journal);
    expect(journal.trim().split('\n')).toHaveLength(22);
    expect(existsSync(file)).toBe(false); // no whole-file rewrite per change

    // No flush: what a crash leaves behind is enough.
    const after = new EmbeddedControlPlane(file);
    expect(after.deviceNames()).toHaveLength(20);
    expect(await after.redeemBootstrapToken('d3', 'token-3')).toBe('tokenUsed');
    expect(await after.certificateSerials('d3')).toEqual(['0aa3']);
    expect(await after.redeemBootstrapToken('d4', 'token-4')).toBe('ok');
  });

  it('drops a torn last journal line (an append that never returned)', async () => {
    const cp = new EmbeddedControlPlane(file);
    cp.registerDevice({ name: 'a', token: 'token-a' });
    await cp.committed();
    appendFileSync(`${file}.journal`, '{"seq":2,"record":{"device":{"name":"b",');
    expect(new EmbeddedControlPlane(file).deviceNames()).toEqual(['a']);
  });

  it('folds the journal into the snapshot once it outgrows the fleet, and keeps everything', async () => {
    const cp = new EmbeddedControlPlane(file);
    cp.registerDevice({ name: 'a', token: 'token-a' });
    cp.setDesiredApp('a', { name: 'x', module, sha256, running: true });
    for (let i = 0; i < 1100; i++) cp.registerDevice({ name: 'b', token: `token-b-${i}` });
    await cp.committed();
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(`${file}.journal`, 'utf8').trim().split('\n').length).toBeLessThan(1100);
    const after = new EmbeddedControlPlane(file);
    expect(await after.redeemBootstrapToken('b', 'token-b-1099')).toBe('ok');
    expect((await after.desiredApps('a'))[0]?.sha256).toBe(sha256);
  });

  it('bounds the certificates and apps kept per device, with an error that says so', async () => {
    const cp = new EmbeddedControlPlane();
    cp.registerDevice({ name: 'a', token: 'token-a' });
    for (let i = 0; i < MAX_SERIALS_PER_DEVICE; i++)
      await cp.reportDevice('a', { certificate: facts(`0b${i}`) });
    await expect(cp.reportDevice('a', { certificate: facts('0bff') })).rejects.toThrow(
      StateLimitError,
    );
    expect(await cp.certificateSerials('a')).toHaveLength(MAX_SERIALS_PER_DEVICE);

    for (let i = 0; i < MAX_APPS_PER_DEVICE; i++) {
      cp.setDesiredApp('a', { name: `app-${i}`, module, sha256, running: true });
      await cp.reportApp('a', `seen-${i}`, { phase: 'Running' });
    }
    expect(() =>
      cp.setDesiredApp('a', { name: 'one-more', module, sha256, running: true }),
    ).toThrow(/already has 32 apps/);
    await expect(cp.reportApp('a', 'one-more', { phase: 'Running' })).rejects.toThrow(
      /more than 32 apps/,
    );
    // Changing one it has is fine.
    cp.setDesiredApp('a', { name: 'app-0', module, sha256, running: false });
  });
});

function facts(serialNumber: string) {
  return {
    serialNumber,
    fingerprintSha256: serialNumber,
    notBefore: new Date(),
    notAfter: new Date(),
  };
}
