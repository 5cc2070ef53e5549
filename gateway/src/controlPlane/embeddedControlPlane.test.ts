import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedControlPlane } from './embeddedControlPlane';

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
});
