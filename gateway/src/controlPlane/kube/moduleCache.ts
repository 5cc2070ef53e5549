import { createHash } from 'node:crypto';
import { MAX_MODULE_BYTES, MODULE_KEY } from '@wasmbed/plugin-wasmbed-common';
import { type KubeApi, paths } from './kubeApi';

/** A module that cannot be used: missing, too large, or not the bytes its digest names. */
export class ModuleUnavailable extends Error {
  override readonly name = 'ModuleUnavailable';
}

interface ConfigMap {
  binaryData?: Record<string, string>;
}

/**
 * Module bytes by SHA-256, read from their ConfigMap once and checked against the digest
 * before anyone gets them. Least recently used modules go first once the cache holds more
 * than `maxBytes`; concurrent reads of one module share a single GET.
 */
export class ModuleCache {
  private readonly modules = new Map<string, Uint8Array>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();
  private bytes = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get cachedBytes(): number {
    return this.bytes;
  }

  async get(namespace: string, configMap: string, sha256: string): Promise<Uint8Array> {
    const have = this.modules.get(sha256);
    if (have) {
      // Map order is the recency order: re-inserting marks it most recently used.
      this.modules.delete(sha256);
      this.modules.set(sha256, have);
      return have;
    }
    const key = `${namespace}/${configMap}/${sha256}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(namespace, configMap, sha256).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(namespace: string, name: string, sha256: string): Promise<Uint8Array> {
    const cm = await this.api.find<ConfigMap>(paths.core(namespace, 'configmaps', name));
    const base64 = cm?.binaryData?.[MODULE_KEY];
    if (base64 === undefined)
      throw new ModuleUnavailable(`ConfigMap ${name} holds no binaryData "${MODULE_KEY}"`);
    if (base64.length > Math.ceil((MAX_MODULE_BYTES * 4) / 3) + 4)
      throw new ModuleUnavailable(`module in ConfigMap ${name} is over ${MAX_MODULE_BYTES} bytes`);
    const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== sha256)
      throw new ModuleUnavailable(
        `module in ConfigMap ${name} has sha256 ${digest}, not the ${sha256} its AppInstance names`,
      );
    this.modules.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [oldest, b] of this.modules) {
      if (this.bytes <= this.maxBytes || oldest === sha256) break;
      this.modules.delete(oldest);
      this.bytes -= b.length;
    }
    return bytes;
  }
}
