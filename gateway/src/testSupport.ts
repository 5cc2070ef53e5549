import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { DeviceClient, DEFAULT_PROFILE, type DeviceProfile } from './client/deviceClient';
import { DeviceIdentity } from './client/deviceIdentity';
import { JournalControlPlaneFixture } from './fixture/journalControlPlane';
import { Gateway, type GatewayOptions } from './gateway';

/** A real gateway on loopback ports of its own, with a log the test can read. */
export async function startTestGateway(options: Partial<GatewayOptions> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wasmbed-gw-'));
  const controlPlane = new JournalControlPlaneFixture();
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const gateway = await Gateway.start({
    dataDir,
    controlPlane,
    port: 0,
    enrollPort: 0,
    logger: pino({ level: 'info' }, sink),
    ...options,
    // Every test client dials from 127.0.0.1: the per-address cap is the listener's here.
    admission: { maxConnectionsPerAddress: 20_000, ...options.admission },
  });
  const address = {
    host: '127.0.0.1',
    port: gateway.port,
    enrollPort: gateway.enrollPort,
    caPem: gateway.caCertificatePem,
  };
  let tokens = 0;
  return {
    gateway,
    controlPlane,
    dataDir,
    logLines,
    address,
    /** Registers a device with a fresh token and returns an unenrolled client for it. */
    async device(name: string, profile: DeviceProfile = DEFAULT_PROFILE) {
      const token = `token-${name}-${++tokens}`;
      controlPlane.registerDevice({ name, token });
      return {
        client: new DeviceClient(await DeviceIdentity.create(name), address, profile),
        token,
      };
    },
    /** Registers, enrolls and connects a device. */
    async connectedDevice(name: string, profile: DeviceProfile = DEFAULT_PROFILE) {
      const { client, token } = await this.device(name, profile);
      await client.enroll(token);
      await client.connect();
      return client;
    },
    async stop() {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

/** Polls until `check` holds or the time is up. */
export async function eventually<T>(
  check: () => T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 10));
  }
}

/**
 * A WebAssembly 1.0 module with the given function imports, padded with a custom section to
 * `size` bytes, so deploy tests move real module bytes of a chosen length.
 */
export function wasmModule(
  imports: { module: string; name: string; params: string; results: string }[],
  size = 0,
): Uint8Array {
  const code: Record<string, number> = { i: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
  const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
  const str = (s: string) => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const types = imports.map(i => [
    0x60,
    ...vec([...i.params].map(p => [code[p]!])),
    ...vec([...i.results].map(r => [code[r]!])),
  ]);
  const entries = imports.map((i, index) => [
    ...str(i.module),
    ...str(i.name),
    0x00,
    ...leb(index),
  ]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(entries)),
  ];
  if (size > bytes.length) {
    const name = str('padding');
    let pad = size - bytes.length - 1 - name.length;
    pad -= leb(pad).length;
    const body = [...name, ...Array.from({ length: Math.max(0, pad) }, (_, i) => i & 0xff)];
    bytes.push(...section(0, body));
  }
  return Uint8Array.from(bytes);
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
