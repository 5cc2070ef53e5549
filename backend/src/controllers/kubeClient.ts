import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The controllers' HTTP client for the Kubernetes API. `@kubernetes/client-node` loads the
 * kubeconfig and gives the TLS material and credentials (`applyToHTTPSOptions`, so every
 * auth method it knows works); the requests themselves go through node:https because the
 * controllers need what the generated clients hide or do not bound: merge patches carrying a
 * resourceVersion precondition, the status subresource of custom resources, metadata-only
 * reads, and a cap on every answer's size (bytes from the network are hostile).
 */

/** Largest answer read (a page of 500 objects, or one module ConfigMap, fits many times). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Largest single watch event line: the API server refuses bodies over 3 MiB. */
export const MAX_WATCH_LINE_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export const MERGE_PATCH = 'application/merge-patch+json';
export const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** A refused request, with the Status the server answered (kube's shape). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (e: unknown) => e instanceof ApiError && e.status === 404;
export const isConflict = (e: unknown) => e instanceof ApiError && e.status === 409;
export const isAlreadyExists = (e: unknown) =>
  e instanceof ApiError && e.status === 409 && e.reason === 'AlreadyExists';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export interface WatchHandle {
  /** Resolves when the stream ends, whatever the cause (error included). */
  ended: Promise<Error | undefined>;
  abort(): void;
}

export class KubeClient {
  private constructor(
    private readonly server: URL,
    private readonly options: https.RequestOptions,
    private readonly agent: https.Agent,
  ) {}

  static async fromKubeConfig(kc: KubeConfig): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 32,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      ...(options.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: options.rejectUnauthorized }
        : {}),
    });
    return new KubeClient(new URL(cluster.server), options, agent);
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, opts: RequestOptions, timeoutMs: number) {
    const data =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const url = new URL(path, this.server);
    const headers: Record<string, string | number> = {
      ...(this.options.headers as Record<string, string>),
      accept: opts.accept ?? 'application/json',
    };
    if (data) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = data.length;
    }
    const req = https.request(url, {
      method,
      agent: this.agent,
      headers,
      ca: this.options.ca,
      cert: this.options.cert,
      key: this.options.key,
      timeout: timeoutMs,
    });
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
    );
    req.end(data);
    return req;
  }

  /** One request; resolves with the parsed JSON body of a 2xx answer, throws ApiError otherwise. */
  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = this.open(method, path, opts, REQUEST_TIMEOUT_MS);
      req.on('error', reject);
      req.on('response', res => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`${method} ${path}: answer over ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text for the error message
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve(body as T);
          const status = (body ?? {}) as { reason?: string; message?: string };
          reject(
            new ApiError(
              code,
              typeof status.reason === 'string' ? status.reason : '',
              `${method} ${path}: ${code} ${typeof status.message === 'string' ? status.message : String(text).slice(0, 300)}`,
            ),
          );
        });
      });
    });
  }

  get<T = unknown>(path: string, accept?: string) {
    return this.request<T>('GET', path, accept ? { accept } : {});
  }
  create<T = unknown>(path: string, body: unknown) {
    return this.request<T>('POST', path, { body });
  }
  replace<T = unknown>(path: string, body: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  /** JSON merge patch; put metadata.resourceVersion in it to make it conditional (409 when stale). */
  mergePatch<T = unknown>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, { body, contentType: MERGE_PATCH });
  }
  delete(path: string) {
    return this.request('DELETE', path);
  }

  /**
   * A watch: `onEvent` gets each parsed event line. A line longer than MAX_WATCH_LINE_BYTES
   * ends the watch (the caller re-lists). No inactivity timeout here: the server ends the
   * watch at `timeoutSeconds`, and a TCP keep-alive notices a dead peer.
   */
  watch(path: string, onEvent: (event: { type: string; object: unknown }) => void): WatchHandle {
    let req: ReturnType<KubeClient['open']> | undefined;
    const ended = new Promise<Error | undefined>(resolve => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        resolve(error);
      };
      req = this.open('GET', path, {}, 0);
      req.on('socket', s => s.setKeepAlive(true, 10_000));
      req.on('error', e => finish(e));
      req.on('close', () => finish());
      req.on('response', res => {
        if (res.statusCode !== 200) {
          res.resume();
          finish(new ApiError(res.statusCode ?? 0, '', `watch ${path}: ${res.statusCode}`));
          req?.destroy();
          return;
        }
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        res.on('data', (chunk: Buffer) => {
          let start = 0;
          for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
            pending.push(chunk.subarray(start, nl));
            const line = Buffer.concat(pending).toString('utf8').trim();
            pending = [];
            pendingBytes = 0;
            start = nl + 1;
            if (!line) continue;
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line);
            } catch {
              finish(new Error(`watch ${path}: a line that is not JSON`));
              req?.destroy();
              return;
            }
            if (typeof event.type === 'string') onEvent({ type: event.type, object: event.object });
          }
          if (start < chunk.length) {
            pending.push(chunk.subarray(start));
            pendingBytes += chunk.length - start;
            if (pendingBytes > MAX_WATCH_LINE_BYTES) {
              finish(new Error(`watch ${path}: an event over ${MAX_WATCH_LINE_BYTES} bytes`));
              req?.destroy();
            }
          }
        });
        res.on('end', () => finish());
        res.on('error', e => finish(e));
      });
    });
    return { ended, abort: () => req?.destroy() };
  }
}
