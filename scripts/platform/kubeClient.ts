import https from 'node:https';

/** An API error with the server's status code and its Status message. */
export interface KubeResponse {
  status: number;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One request on a connection of its own (no keep-alive agent): a client that sometimes sits
 * idle must not send on a connection the server has just closed ("socket hang up").
 */
function request(
  url: string,
  caPem: string,
  token: string,
  method: string,
  body: unknown,
  contentType: string | undefined,
  timeoutMs: number,
): Promise<KubeResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${token}`,
  };
  if (payload !== undefined) headers['content-type'] = contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: caPem, headers, agent: false }, res => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 256 * 1024 * 1024) req.destroy(new Error(`${url}: answer over 256 MiB`));
        chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(`${method} ${path}: ${status} ${message}`);
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Paths of the kinds the platform uses, in one namespace. */
export function resourcePath(kind: string, namespace: string, name?: string): string {
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  switch (kind) {
    case 'Device':
    case 'Application':
    case 'AppInstance':
    case 'Gateway':
      return `/apis/wasmbed.io/v1alpha1/namespaces/${namespace}/${kind.toLowerCase()}s${tail}`;
    case 'Secret':
    case 'ConfigMap':
    case 'Event':
      return `/api/v1/namespaces/${namespace}/${kind.toLowerCase()}s${tail}`;
    case 'Lease':
      return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases${tail}`;
    default:
      throw new Error(`no path known for kind ${kind}`);
  }
}

/**
 * A small REST client with one identity (bearer token) against one API server. The launcher,
 * `up` and the end-to-end tests read and write through it exactly as any client of the API
 * would; kubectl is used where the test is about kubectl.
 */
export class KubeClient {
  constructor(
    readonly server: string,
    readonly caPem: string,
    readonly token: string,
  ) {}

  async raw(method: string, path: string, body?: unknown, contentType?: string) {
    return request(
      `${this.server}${path}`,
      this.caPem,
      this.token,
      method,
      body,
      contentType,
      15_000,
    );
  }

  private async call<T>(method: string, path: string, body?: unknown, contentType?: string) {
    const res: KubeResponse = await this.raw(method, path, body, contentType);
    if (res.status >= 300) {
      const message = (res.json as { message?: string } | undefined)?.message ?? res.body;
      throw new KubeError(res.status, method, path, message.slice(0, 500));
    }
    return res.json as T;
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** The object, or undefined when the server answers 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T = KubeObject>(path: string): Promise<T[]> {
    return (await this.get<{ items: T[] }>(path)).items;
  }

  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  replace<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  mergePatch<T = KubeObject>(path: string, patch: unknown): Promise<T> {
    return this.call<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  delete(path: string): Promise<unknown> {
    return this.call('DELETE', path);
  }

  /**
   * Creates the object, or replaces it when it exists (idempotent apply): labels, annotations
   * and status kept as they are. A 409 (someone, e.g. a controller writing status, changed it
   * between our read and our write) is answered by reading again, a few times.
   */
  async upsert(path: string, object: KubeObject): Promise<KubeObject> {
    const at = `${path}/${encodeURIComponent(object.metadata.name)}`;
    for (let attempt = 1; ; attempt++) {
      const existing = await this.find(at);
      if (!existing) return this.create(path, object);
      const merged = {
        ...existing,
        ...object,
        metadata: {
          ...existing.metadata,
          labels: object.metadata.labels ?? existing.metadata.labels,
          annotations: object.metadata.annotations ?? existing.metadata.annotations,
          resourceVersion: existing.metadata.resourceVersion,
        },
        ...(existing.status ? { status: existing.status } : {}),
      };
      try {
        return await this.replace(at, merged);
      } catch (err) {
        if (!(err instanceof KubeError && err.status === 409) || attempt >= 5) throw err;
      }
    }
  }

  /**
   * Watches `path` (a collection, optionally with a labelSelector) from now on: the initial
   * state arrives as ADDED events, then every change. `close()` ends it. An ended stream is
   * reported through `onEnd` (the caller decides whether to watch again).
   */
  watch(
    path: string,
    onEvent: (type: string, object: KubeObject) => void,
    onEnd: (err?: Error) => void = () => {},
  ): { close(): void } {
    const sep = path.includes('?') ? '&' : '?';
    const url = `${this.server}${path}${sep}watch=1&allowWatchBookmarks=false`;
    let closed = false;
    const req = https.request(
      url,
      {
        ca: this.caPem,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
      },
      res => {
        if (res.statusCode !== 200) {
          res.resume();
          onEnd(new Error(`watch ${path}: ${res.statusCode}`));
          return;
        }
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          // A bound on one event's text: a server gone wrong must not grow us without end.
          if (buffer.length > 16 * 1024 * 1024) req.destroy(new Error('watch event too large'));
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: string; object: KubeObject };
            onEvent(event.type, event.object);
          }
        });
        res.on('end', () => !closed && onEnd());
        res.on('error', err => !closed && onEnd(err));
      },
    );
    req.on('error', err => !closed && onEnd(err));
    req.end();
    return {
      close() {
        closed = true;
        req.destroy();
      },
    };
  }
}
