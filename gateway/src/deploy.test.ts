import { createHash } from 'node:crypto';
import type { DesiredApp } from './controlPlane/types';
import type { Message } from './protocol/messages';
import { eventually, startTestGateway, wasmModule, type TestGateway } from './testSupport';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const LOG = { module: 'wasmbed', name: 'log', params: 'iii', results: '' };
const PUBLISH = { module: 'wasmbed', name: 'publish', params: 'iid', results: 'i' };

function app(name: string, module: Uint8Array): DesiredApp {
  return {
    name,
    module,
    sha256: sha(module),
    running: true,
    limits: { memoryBytes: 65536, fuelPerActivation: 100000 },
  };
}

describe('chunked deploys over real TLS', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.stop());

  it('deploys a 16 KB module to a device, chunk by chunk, with the right hash', async () => {
    const device = await t.connectedDevice('dep-1');
    const module = wasmModule([LOG, PUBLISH], 16 * 1024);
    const chunks: number[] = [];
    device.on('message', m => m.type === 'deployChunk' && chunks.push(m.offset));
    t.controlPlane.setDesiredApp('dep-1', app('blinky', module));
    const [, slot] = await new Promise<[string, { bytes: Uint8Array; sha256: string }]>(r =>
      device.once('deployed', (...a) => r(a)),
    );
    expect(sha(slot.bytes)).toBe(sha(module));
    expect(chunks).toEqual([0, 2048, 4096, 6144, 8192, 10240, 12288, 14336]);
    await eventually(() => t.controlPlane.appObservation('dep-1', 'blinky')?.phase === 'Running');
    device.close();
  });

  it('resumes a deploy dropped half way from the last acknowledged chunk', async () => {
    const device = await t.connectedDevice('dep-2');
    const module = wasmModule([LOG], 16 * 1024);
    let acknowledgedAtDrop = -1;
    device.on('chunk', () => {
      const slot = device.slots.get('big')!;
      if (slot.received >= 3 * 2048 && acknowledgedAtDrop < 0) {
        acknowledgedAtDrop = slot.received;
        device.drop();
      }
    });
    const dropped = new Promise(r => device.once('closed', r));
    t.controlPlane.setDesiredApp('dep-2', app('big', module));
    await dropped;
    expect(acknowledgedAtDrop).toBe(6144);
    expect(device.slots.get('big')!.state).toBe('deploying');

    device.removeAllListeners('chunk');
    const seen: Message[] = [];
    device.on('message', m => seen.push(m));
    const deployed = new Promise(r => device.once('deployed', r));
    await device.connect();
    await deployed;
    const firstChunk = seen.find(m => m.type === 'deployChunk');
    expect(firstChunk).toMatchObject({ offset: acknowledgedAtDrop });
    expect(
      seen.find(m => m.type === 'deployChunk' && m.offset < acknowledgedAtDrop),
    ).toBeUndefined();
    expect(sha(device.slots.get('big')!.bytes)).toBe(sha(module));
    device.close();
  });

  it('detects a corrupted chunk and sends it again', async () => {
    const device = await t.connectedDevice('dep-3');
    const module = wasmModule([LOG], 8 * 1024);
    let corrupted = 0;
    device.corruptChunk = (_app, offset, data) => {
      if (offset !== 2048 || corrupted++ > 0) return data;
      const bad = Uint8Array.from(data);
      bad[100]! ^= 0x01;
      return bad;
    };
    const sent: number[] = [];
    device.on('message', m => m.type === 'deployChunk' && sent.push(m.offset));
    t.controlPlane.setDesiredApp('dep-3', app('fragile', module));
    await new Promise(r => device.once('deployed', r));
    expect(sent).toEqual([0, 2048, 2048, 4096, 6144]);
    expect(sha(device.slots.get('fragile')!.bytes)).toBe(sha(module));
    device.close();
  });

  it('refuses, before sending a byte, a module importing what the device lacks', async () => {
    const device = await t.connectedDevice('dep-4');
    const seen: string[] = [];
    device.on('message', m => seen.push(m.type));
    const module = wasmModule(
      [LOG, { module: 'wasmbed', name: 'gpio_write', params: 'ii', results: '' }],
      4096,
    );
    t.controlPlane.setDesiredApp('dep-4', app('needs-gpio', module));
    const observed = await eventually(() => t.controlPlane.appObservation('dep-4', 'needs-gpio'));
    expect(observed).toMatchObject({ phase: 'Failed' });
    expect(observed.error).toBe(
      'refused before sending: module imports wasmbed/gpio_write:(ii), which the device does not offer',
    );
    expect(seen).not.toContain('deployBegin');

    const wrongSig = wasmModule([{ module: 'wasmbed', name: 'log', params: 'i', results: '' }]);
    t.controlPlane.setDesiredApp('dep-4', app('bad-sig', wrongSig));
    const second = await eventually(() => t.controlPlane.appObservation('dep-4', 'bad-sig'));
    expect(second.error).toBe(
      'refused before sending: module imports wasmbed/log:(i), but the device offers wasmbed/log:(iii)',
    );
    expect(seen).not.toContain('deployBegin');
    device.close();
  });

  it('does not send again a module the device reports it already runs', async () => {
    const device = await t.connectedDevice('dep-5');
    const module = wasmModule([LOG], 4096);
    t.controlPlane.setDesiredApp('dep-5', app('steady', module));
    await new Promise(r => device.once('deployed', r));
    device.close();
    await eventually(() => !t.gateway.sessions.has('dep-5'));
    const seen: string[] = [];
    device.on('message', m => seen.push(m.type));
    await device.connect();
    await new Promise(r => setTimeout(r, 200));
    expect(seen).not.toContain('deployBegin');
    device.close();
  });
});
