import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppObservation, DesiredApp } from '../controlPlane/types';
import { MAX_CHUNK_BYTES } from '../protocol/limits';
import type { FramedConnection } from '../transport/framedConnection';
import { crc32 } from 'node:zlib';

export class DeployError extends Error {
  override readonly name = 'DeployError';
}

/** Most times one chunk is re-sent after checksum mismatches before the deploy gives up. */
const MAX_CHUNK_RETRIES = 3;

/**
 * TEST FAULT, never set in production: `WASMBED_TEST_CORRUPT_CHUNK=APP:OFFSET` flips one bit
 * of the chunk at OFFSET of APP the first time each deploy of APP sends it (its CRC-32 still
 * that of the right bytes), so the device tests can show the real firmware refusing it
 * (firmware/scripts/device-failures.sh). Nothing on the wire can produce it.
 */
const CORRUPT_CHUNK = (() => {
  const spec = /^(.+):(\d+)$/.exec(process.env.WASMBED_TEST_CORRUPT_CHUNK ?? '');
  return spec ? { app: spec[1], offset: Number(spec[2]) } : undefined;
})();

/**
 * Sends one module to one device: begin, then chunks from the offset the device holds, each
 * acknowledged, then commit. A dropped connection loses nothing the device acknowledged: the
 * next session's deployBegin resumes from the device's offset.
 */
export class DeploymentSession {
  private testFaultDone = false;

  constructor(
    private readonly connection: FramedConnection,
    private readonly app: DesiredApp,
    private readonly report: (o: AppObservation) => void,
    private readonly log: Logger,
    private readonly chunkBytes = MAX_CHUNK_BYTES,
  ) {}

  async run(): Promise<void> {
    const { connection: c, app } = this;
    const sha256 = Buffer.from(app.sha256, 'hex');
    if (createHash('sha256').update(app.module).digest('hex') !== app.sha256) {
      throw new DeployError(`module bytes of ${app.name} do not match its sha256`);
    }
    this.report({ phase: 'Deploying', sha256: app.sha256, deployedBytes: 0 });
    const ready = await c.request(
      {
        type: 'deployBegin',
        id: c.nextId(),
        app: app.name,
        sha256,
        size: app.module.length,
        chunkSize: this.chunkBytes,
        config: app.config,
        limits: app.limits,
      },
      ['deployReady'],
    );
    let offset = ready.offset;
    if (offset > app.module.length)
      throw new DeployError(`device claims offset ${offset} past the module end`);
    if (offset > 0)
      this.log.info({ app: app.name, offset }, 'deploy resumes from the device offset');
    let retries = 0;
    while (offset < app.module.length) {
      const data = app.module.subarray(offset, offset + this.chunkBytes);
      const ack = await c.request(
        {
          type: 'deployChunk',
          id: c.nextId(),
          app: app.name,
          offset,
          data: this.testFaultCorrupt(offset, data),
          crc32: crc32(data),
        },
        ['deployChunkAck'],
      );
      if (ack.status === 'checksumMismatch') {
        if (++retries > MAX_CHUNK_RETRIES)
          throw new DeployError(`chunk at ${offset} corrupted ${retries} times`);
        this.log.warn({ app: app.name, offset }, 'device saw a corrupted chunk; sending it again');
        continue;
      }
      if (ack.offset > app.module.length)
        throw new DeployError(`device acknowledged past the module end`);
      retries = 0;
      offset = ack.offset;
      this.report({ phase: 'Deploying', sha256: app.sha256, deployedBytes: offset });
    }
    const result = await c.request(
      { type: 'deployCommit', id: c.nextId(), app: app.name, sha256 },
      ['deployResult'],
    );
    if (!result.ok) {
      const reason = `${result.error ?? 'failed'}${result.message ? `: ${result.message}` : ''}`;
      this.report({ phase: 'Failed', sha256: app.sha256, error: reason });
      throw new DeployError(reason);
    }
    this.report({
      phase: 'Running',
      sha256: app.sha256,
      deployedBytes: app.module.length,
      generation: app.generation,
    });
  }

  private testFaultCorrupt(offset: number, data: Uint8Array): Uint8Array {
    const f = CORRUPT_CHUNK;
    if (!f || this.testFaultDone || f.app !== this.app.name || f.offset !== offset) return data;
    this.testFaultDone = true;
    const bad = Uint8Array.from(data);
    bad[0] = (bad[0] ?? 0) ^ 0x01;
    this.log.warn({ app: f.app, offset }, 'TEST FAULT: sending this chunk with one bit flipped');
    return bad;
  }
}
