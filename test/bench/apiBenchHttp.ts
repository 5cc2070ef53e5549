import { Agent, request } from 'node:https';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across worker threads. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface ApiEndpoint {
  url: string;
  caPem: string;
}

export interface ApiReply {
  status: number;
  body: string;
  /** When the request was sent and when the whole response had arrived (nowMs()). */
  sentAt: number;
  doneAt: number;
}

/**
 * The bench's one HTTP client, used unchanged for both servers so the comparison is fair:
 * node:https with a keep-alive agent (one TLS session per concurrent client, reused).
 */
export class ApiClient {
  private readonly agent: Agent;

  constructor(
    private readonly endpoint: ApiEndpoint,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: endpoint.caPem });
  }

  send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiReply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (payload !== undefined) headers['content-type'] = contentType;
    const sentAt = nowMs();
    return new Promise((resolve, reject) => {
      const req = request(this.endpoint.url + path, { method, agent: this.agent, headers }, res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            sentAt,
            doneAt: nowMs(),
          }),
        );
        res.on('error', reject);
      });
      req.setTimeout(120_000, () =>
        req.destroy(new Error(`${method} ${path}: no answer in 120 s`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The resourceVersion in a watch event or object, found without parsing the whole JSON. */
export function resourceVersionOf(json: string): string | undefined {
  const key = '"resourceVersion":"';
  const at = json.indexOf(key);
  if (at < 0) return undefined;
  const end = json.indexOf('"', at + key.length);
  return end < 0 ? undefined : json.slice(at + key.length, end);
}
