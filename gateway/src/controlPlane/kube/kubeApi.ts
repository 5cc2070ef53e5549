import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A non-2xx answer of the API server, with its Status reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Largest answer read into memory: a list of a 10,000-device fleet is well under it. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export type PatchType = 'application/merge-patch+json' | 'application/json';

/**
 * JSON over HTTPS with the identity of a kubeconfig, for the gateway's reads and writes (its
 * watches go through client-node's Watch). One keep-alive agent with a bounded socket count:
 * a burst of status writes reuses a few connections instead of opening hundreds.
 */
export class KubeApi {
  private constructor(
    private readonly server: string,
    private readonly options: https.RequestOptions,
    private readonly agent: https.Agent,
  ) {}

  static async fromKubeConfig(kubeConfig: KubeConfig, maxSockets = 16): Promise<KubeApi> {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ...(options.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: options.rejectUnauthorized }
        : {}),
    });
    const headers = { ...(options.headers as Record<string, string> | undefined) };
    return new KubeApi(cluster.server.replace(/\/$/, ''), { headers, auth: options.auth }, agent);
  }

  /** From a server URL, its CA and a bearer token (tests, which cannot load client-node). */
  static connect(server: string, caPem: string, token: string, maxSockets = 16): KubeApi {
    const agent = new https.Agent({ keepAlive: true, maxSockets, ca: caPem });
    return new KubeApi(
      server.replace(/\/$/, ''),
      { headers: { authorization: `Bearer ${token}` } },
      agent,
    );
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that answers undefined for 404. */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType: string = 'application/json',
  ): Promise<T> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        `${this.server}${path}`,
        {
          ...this.options,
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: {
            ...this.options.headers,
            accept: 'application/json',
            ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}),
          },
        },
        res => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new Error(`answer to ${method} ${path} is over ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed as T);
            const s = parsed as { reason?: string; message?: string } | undefined;
            reject(
              new KubeApiError(
                status,
                s?.reason ?? '',
                `${method} ${path}: ${status} ${s?.message ?? text.slice(0, 200)}`,
              ),
            );
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** kube's status code of an error, 0 for a network failure. */
export function statusOf(err: unknown): number {
  return err instanceof KubeApiError ? err.status : 0;
}

/** Paths of the objects the gateway touches. */
export const paths = {
  wasmbed: (ns: string, plural: string, name?: string) =>
    `/apis/wasmbed.io/v1alpha1/namespaces/${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`,
  core: (ns: string, plural: string, name?: string) =>
    `/api/v1/namespaces/${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`,
  lease: (ns: string, name?: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases${name ? `/${encodeURIComponent(name)}` : ''}`,
};
