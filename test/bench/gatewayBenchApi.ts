/**
 * The gateway bench's side of the API server: the fleet registered as Device resources with
 * bootstrap tokens in Secrets (as `./wasmbed up` registers its devices), and the API server's
 * write rate per phase of the run.
 */
import { deviceResource, newToken, TOKEN_KEY, tokenSecretName } from '../../scripts/platform/fleet';
import { withConcurrency } from '../../gateway/src/client/loadGenerator';
import { ApiClient } from './apiBenchHttp';

export interface BenchDevice {
  name: string;
  token: string;
}

/** Creates N Devices, each with its bootstrap-token Secret; `concurrency` requests at a time. */
export async function registerFleet(
  api: ApiClient,
  namespace: string,
  n: number,
  concurrency: number,
  onProgress: (done: number) => void,
): Promise<BenchDevice[]> {
  const fleet = Array.from({ length: n }, (_, i) => ({ name: `bench-${i}`, token: newToken() }));
  let done = 0;
  await withConcurrency(fleet, concurrency, async d => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: tokenSecretName(d.name), namespace },
      type: 'Opaque',
      data: { [TOKEN_KEY]: Buffer.from(d.token).toString('base64') },
    };
    await expectStatus(api, 'POST', `/api/v1/namespaces/${namespace}/secrets`, secret, 201);
    await expectStatus(
      api,
      'POST',
      `/apis/wasmbed.io/v1alpha1/namespaces/${namespace}/devices`,
      deviceResource(d.name, 'mps2-an385', namespace),
      201,
    );
    if (++done % 1000 === 0) onProgress(done);
  });
  return fleet;
}

async function expectStatus(
  api: ApiClient,
  method: string,
  path: string,
  body: unknown,
  status: number,
): Promise<void> {
  const reply = await api.send(method, path, body);
  if (reply.status !== status)
    throw new Error(`${method} ${path}: ${reply.status} ${reply.body.slice(0, 300)}`);
}

/**
 * The store's revision: the resourceVersion of a fresh LIST. Every write (create, update,
 * patch, delete) of any object advances it by one, so its change over a phase is the number of
 * writes the API server committed in it, whoever made them.
 */
export async function storeRevision(api: ApiClient): Promise<number> {
  const reply = await api.send('GET', '/api/v1/namespaces/default/configmaps?limit=1');
  if (reply.status !== 200) throw new Error(`LIST configmaps: ${reply.status}`);
  const rv = Number(
    (JSON.parse(reply.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
  );
  if (!Number.isSafeInteger(rv)) throw new Error(`LIST configmaps: resourceVersion is not a count`);
  return rv;
}

export interface PhaseWrites {
  writes: number;
  seconds: number;
  perSecond: number;
}

/** Starts counting the API server's writes; `end()` gives the count and rate since. */
export async function countWrites(api: ApiClient): Promise<{ end(): Promise<PhaseWrites> }> {
  const startRevision = await storeRevision(api);
  const start = performance.now();
  return {
    async end() {
      const writes = (await storeRevision(api)) - startRevision;
      const seconds = (performance.now() - start) / 1000;
      return {
        writes,
        seconds: +seconds.toFixed(1),
        perSecond: +(writes / seconds).toFixed(1),
      };
    },
  };
}
