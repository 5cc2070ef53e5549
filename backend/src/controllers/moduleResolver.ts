import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  LABEL_MODULE_SHA256,
  MAX_MODULE_BYTES,
  MODULE_KEY,
  moduleConfigMapName,
  type ApplicationSpec,
} from '@wasmbed/plugin-wasmbed-common';
import { isAlreadyExists, isNotFound, PARTIAL_METADATA, type KubeClient } from './kubeClient';

/**
 * Turns an Application's `spec.module` into bytes stored in the content-addressed module
 * ConfigMap the gateways read (`moduleConfigMapName(sha256)`, binaryData `module.wasm`,
 * immutable). Sources: inline base64; a ConfigMap key (binaryData, or data as UTF-8); an
 * http(s) URL, which must name its sha256 (a URL's content can change under the same name;
 * the digest is what makes the rollout reproducible), fetched with a size cap and a timeout,
 * without following redirects. `ref.kind: Build` is refused until the compile service exists.
 */

/** Annotation on a module ConfigMap: its size, so a later resolution need not read the bytes. */
export const ANNOTATION_MODULE_BYTES = 'wasmbed.io/module-bytes';
const FETCH_TIMEOUT_MS = 15_000;

export interface ResolvedModule {
  ok: true;
  sha256: string;
  bytes: number;
  configMap: string;
}

export interface RefusedModule {
  ok: false;
  /** Condition reason: ModuleRefused (fix the spec), ModuleUnavailable (retried), BuildNotSupported. */
  reason: 'ModuleRefused' | 'ModuleUnavailable' | 'BuildNotSupported';
  message: string;
}

export type ModuleResolution = ResolvedModule | RefusedModule;

const refused = (message: string): RefusedModule => ({
  ok: false,
  reason: 'ModuleRefused',
  message,
});
const unavailable = (message: string): RefusedModule => ({
  ok: false,
  reason: 'ModuleUnavailable',
  message,
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function resolveModule(
  client: KubeClient,
  namespace: string,
  module: ApplicationSpec['module'],
): Promise<ModuleResolution> {
  if (module.ref?.kind === 'Build')
    return {
      ok: false,
      reason: 'BuildNotSupported',
      message: `module.ref names Build "${module.ref.name}": building from source is not supported yet; give inline, url or a ConfigMap ref`,
    };
  if (module.url !== undefined && module.sha256 === undefined)
    return refused('module.url needs module.sha256: the digest the fetched bytes must have');

  // A URL's digest is known before fetching: if its ConfigMap is there, nothing to fetch.
  if (module.url !== undefined) {
    const stored = await storedModule(client, namespace, module.sha256!);
    if (stored) return stored;
  }

  let bytes: Buffer;
  if (module.inline !== undefined) {
    bytes = Buffer.from(module.inline, 'base64');
  } else if (module.ref !== undefined) {
    const fromMap = await readConfigMapModule(client, namespace, module.ref.name, module.ref.key);
    if (!Buffer.isBuffer(fromMap)) return fromMap;
    bytes = fromMap;
  } else if (module.url !== undefined) {
    const fetched = await fetchModule(module.url);
    if (!Buffer.isBuffer(fetched)) return fetched;
    bytes = fetched;
  } else {
    return refused('module sets none of inline, url and ref');
  }
  if (bytes.length === 0) return refused('the module is empty');
  if (bytes.length > MAX_MODULE_BYTES)
    return refused(`the module is ${bytes.length} bytes; devices take at most ${MAX_MODULE_BYTES}`);
  const digest = sha256(bytes);
  if (module.sha256 !== undefined && module.sha256 !== digest)
    return refused(`the module's sha256 is ${digest}, not ${module.sha256} as the spec requires`);
  await storeModule(client, namespace, digest, bytes);
  return { ok: true, sha256: digest, bytes: bytes.length, configMap: moduleConfigMapName(digest) };
}

/** The module ConfigMap of `digest` if it exists (metadata only: the bytes are not read). */
async function storedModule(
  client: KubeClient,
  namespace: string,
  digest: string,
): Promise<ResolvedModule | undefined> {
  const name = moduleConfigMapName(digest);
  try {
    const meta = await client.get<{ metadata?: { annotations?: Record<string, string> } }>(
      `/api/v1/namespaces/${namespace}/configmaps/${name}`,
      PARTIAL_METADATA,
    );
    const size = Number(meta.metadata?.annotations?.[ANNOTATION_MODULE_BYTES]);
    if (!Number.isInteger(size) || size <= 0) return undefined;
    return { ok: true, sha256: digest, bytes: size, configMap: name };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function readConfigMapModule(
  client: KubeClient,
  namespace: string,
  name: string,
  key = MODULE_KEY,
): Promise<Buffer | RefusedModule> {
  let cm: { binaryData?: Record<string, string>; data?: Record<string, string> };
  try {
    cm = await client.get(`/api/v1/namespaces/${namespace}/configmaps/${name}`);
  } catch (error) {
    if (isNotFound(error)) return unavailable(`ConfigMap "${name}" does not exist`);
    throw error;
  }
  const binary = cm.binaryData?.[key];
  if (binary !== undefined) return Buffer.from(binary, 'base64');
  const text = cm.data?.[key];
  if (text !== undefined) return Buffer.from(text, 'utf8');
  return refused(`ConfigMap "${name}" has no key "${key}" in binaryData or data`);
}

async function storeModule(
  client: KubeClient,
  namespace: string,
  digest: string,
  bytes: Buffer,
): Promise<void> {
  try {
    await client.create(`/api/v1/namespaces/${namespace}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: moduleConfigMapName(digest),
        namespace,
        // A label value holds at most 63 characters: the first 40 hex digits, as the name.
        labels: { [LABEL_MODULE_SHA256]: digest.slice(0, 40) },
        annotations: { [ANNOTATION_MODULE_BYTES]: String(bytes.length) },
      },
      immutable: true,
      binaryData: { [MODULE_KEY]: bytes.toString('base64') },
    });
  } catch (error) {
    // Content-addressed: an existing ConfigMap of this name holds these bytes already.
    if (!isAlreadyExists(error)) throw error;
  }
}

/** GET of an http(s) URL: 200 only, at most MAX_MODULE_BYTES, within FETCH_TIMEOUT_MS. */
export function fetchModule(url: string): Promise<Buffer | RefusedModule> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve(refused(`module.url "${url}" is not a URL`));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return Promise.resolve(refused(`module.url must be http or https, not ${parsed.protocol}`));
  const get = parsed.protocol === 'https:' ? https.get : http.get;
  return new Promise(resolve => {
    const req = get(parsed, { timeout: FETCH_TIMEOUT_MS }, res => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(unavailable(`GET ${url} answered ${res.statusCode} (redirects are not followed)`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_MODULE_BYTES) {
        req.destroy();
        resolve(refused(`${url} is ${declared} bytes; devices take at most ${MAX_MODULE_BYTES}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_MODULE_BYTES) {
          req.destroy();
          resolve(refused(`${url} sent more than ${MAX_MODULE_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', e => resolve(unavailable(`GET ${url}: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${FETCH_TIMEOUT_MS} ms`)));
    req.on('error', e => resolve(unavailable(`GET ${url}: ${e.message}`)));
  });
}
