import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HOST_API_V1, missingImports } from '../../gateway/src';

const firmware = path.resolve(__dirname, '..');
const wasm = (app: string) => new Uint8Array(readFileSync(path.join(firmware, 'build/apps', `${app}.wasm`)));

/**
 * The host API implemented in JavaScript over the app's memory, exactly as docs/host-api.md
 * states it, so the example apps' use of the ABI is checked in a real WebAssembly engine.
 */
function host(config: Record<string, string>) {
  let memory: WebAssembly.Memory;
  const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len));
  const seen = { logs: [] as string[], leds: [] as [number, number][], published: [] as [string, number][] };
  const imports = {
    wasmbed: {
      log: (_level: number, ptr: number, len: number) => void seen.logs.push(text(ptr, len)),
      time_ms: () => 12_345n,
      publish: (ptr: number, len: number, value: number) => (seen.published.push([text(ptr, len), value]), 0),
      config_get: (kp: number, kl: number, bp: number, cap: number) => {
        const value = config[text(kp, kl)];
        if (value === undefined) return -1;
        const bytes = new TextEncoder().encode(value);
        new Uint8Array(memory.buffer, bp, cap).set(bytes.subarray(0, cap));
        return bytes.length;
      },
      led_set: (index: number, on: number) => void seen.leds.push([index, on]),
      switches: () => 0b10,
    },
  };
  return {
    seen,
    async start(module: Uint8Array) {
      const { instance } = (await WebAssembly.instantiate(module, imports)) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
      memory = instance.exports.memory as WebAssembly.Memory;
      const exports = instance.exports as {
        init(): void;
        activate(): void;
        command_buffer?(len: number): number;
        command?(name: number, nameLen: number, payload: number, payloadLen: number): number;
      };
      /** What the device does with a `command` message (docs/host-api.md). */
      const command = (name: string, payload = '') => {
        const n = new TextEncoder().encode(name);
        const p = new TextEncoder().encode(payload);
        const at = exports.command_buffer!(n.length + p.length);
        new Uint8Array(memory.buffer, at, n.length + p.length).set([...n, ...p]);
        return exports.command!(at, n.length, at + n.length, p.length);
      };
      return { ...exports, command };
    },
  };
}

describe('AssemblyScript SDK and example apps', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(firmware, 'sdk/scripts/build-apps.mjs')], { stdio: 'pipe' });
  }, 120_000);

  it.each(['blinky', 'telemetry'])('%s imports only the host API v1 and validates (wabt)', app => {
    expect(missingImports(wasm(app), HOST_API_V1)).toEqual([]);
    execFileSync('wasm-validate', [path.join(firmware, 'build/apps', `${app}.wasm`)]);
  });

  it('blinky toggles the configured LED at each activation', async () => {
    const h = host({ led: '1' });
    const app = await h.start(wasm('blinky'));
    app.init();
    app.activate();
    app.activate();
    app.activate();
    expect(h.seen.leds).toEqual([
      [1, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(h.seen.logs).toEqual(['blinky: blinking LED 1']);
  });

  it('telemetry publishes uptime, a counter and the buttons under its configured prefix', async () => {
    const h = host({ topic: 'lab' });
    const app = await h.start(wasm('telemetry'));
    app.init();
    app.activate();
    app.activate();
    expect(h.seen.published).toEqual([
      ['lab/uptime_s', 12.345],
      ['lab/activations', 1],
      ['lab/switches', 2],
      ['lab/uptime_s', 12.345],
      ['lab/activations', 2],
      ['lab/switches', 2],
    ]);
  });

  it('telemetry takes commands: reset the counter, change the prefix, refuse the unknown', async () => {
    const h = host({});
    const app = await h.start(wasm('telemetry'));
    app.init();
    app.activate();
    app.activate();
    expect(app.command('reset')).toBe(1);
    expect(app.command('topic', 'greenhouse/3')).toBe(1);
    expect(app.command('topic')).toBe(0);
    expect(app.command('launch', 'now')).toBe(0);
    h.seen.published.length = 0;
    app.activate();
    expect(h.seen.published).toContainEqual(['greenhouse/3/activations', 1]);
    expect(h.seen.logs).toContain('telemetry: counter reset');
  });

  it('telemetry keeps running in its one page: 20,000 activations and 1,000 commands', async () => {
    const h = host({ topic: 'long-run' });
    const app = await h.start(wasm('telemetry'));
    app.init();
    for (let i = 0; i < 20_000; i++) app.activate();
    for (let i = 0; i < 1_000; i++) expect(app.command('topic', `t${i % 10}`)).toBe(1);
    h.seen.published.length = 0;
    app.activate();
    expect(h.seen.published).toContainEqual(['t9/activations', 20_001]);
  });
});
