/**
 * Raw HTTPS to an API server, as a client library would send it but without one's opinions:
 * the suite needs the exact status code, headers and body of every answer (including
 * refusals a library would turn into exceptions), and must be able to send bodies no library
 * would produce (malformed JSON, 3 MiB, wrong content types).
 */
import https from 'node:https';

export interface HttpAnswer {
  code: number;
  contentType: string;
  /** `Warning` headers (the text between the quotes), as kube-apiserver sends them. */
  warnings: string[];
  /** Parsed JSON when the answer is JSON, otherwise the text. */
  body: unknown;
}

export interface HttpTarget {
  url: string; // https://127.0.0.1:PORT
  caPem: string;
}

export interface RequestOptions {
  body?: unknown; // objects are sent as JSON; strings and Buffers as they are
  contentType?: string;
  accept?: string;
  /** A fixed User-Agent, so both servers derive the same default field manager from it. */
  userAgent?: string;
  timeoutMs?: number;
}

/** The answer is capped: a server that streams without end must not fill the suite's memory. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
export const SUITE_USER_AGENT = 'wasmbed-api-conformance/1.0';

export function request(
  target: HttpTarget,
  token: string | undefined,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  const url = new URL(path, target.url);
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.isBuffer(options.body)
      ? options.body
      : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  }
  const headers: Record<string, string> = {
    accept: options.accept ?? 'application/json',
    'user-agent': options.userAgent ?? SUITE_USER_AGENT,
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (payload) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, headers, ca: target.caPem, timeout: options.timeoutMs ?? 30_000 },
      res => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(new Error(`answer to ${method} ${path} over ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type'] ?? '');
          let body: unknown = text;
          if (contentType.includes('json') && text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text; // a server that says JSON and sends something else: compared as text
            }
          }
          resolve({
            code: res.statusCode ?? 0,
            contentType,
            warnings: warningsOf(res.headers.warning),
            body,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
    req.on('error', err => {
      // A server may answer (413) and close before it has read a large body: an EPIPE or
      // ECONNRESET while sending is then not the outcome; the answer, if any, already resolved.
      reject(err);
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

export interface WatchStream {
  /** The HTTP status of the watch request itself. */
  code: Promise<number>;
  /** Events (or, for a refused watch, the Status body) as they arrive. */
  events: unknown[];
  /** Resolves once `count` events have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<unknown[]>;
  /** Resolves once the events so far satisfy `cond`, or rejects after `timeoutMs`. */
  waitUntil(cond: (events: unknown[]) => boolean, timeoutMs: number): Promise<unknown[]>;
  /** Resolves when the server ends the stream (e.g. at timeoutSeconds), or after `timeoutMs` with false. */
  endsWithin(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** A raw watch: one JSON event per line, kept in order. */
export function watchStream(target: HttpTarget, token: string, path: string): WatchStream {
  const events: unknown[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach(w => w());
  let ended = false;
  let resolveCode!: (c: number) => void;
  let rejectCode!: (e: Error) => void;
  const code = new Promise<number>((res, rej) => {
    resolveCode = res;
    rejectCode = rej;
  });
  code.catch(() => undefined);
  const req = https.request(
    new URL(path, target.url),
    {
      method: 'GET',
      ca: target.caPem,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        'user-agent': SUITE_USER_AGENT,
      },
    },
    res => {
      resolveCode(res.statusCode ?? 0);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        if (buffered.length > MAX_ANSWER_BYTES) {
          req.destroy();
          return;
        }
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) events.push(parseOrText(line));
        }
        notify();
      });
      res.on('end', () => {
        if (buffered.trim()) events.push(parseOrText(buffered.trim()));
        ended = true;
        notify();
      });
      res.on('close', () => {
        ended = true;
        notify();
      });
      res.on('error', () => undefined);
    },
  );
  req.on('error', err => {
    ended = true;
    rejectCode(err);
    notify();
  });
  req.end();
  const waitUntil = (cond: (events: unknown[]) => boolean, timeoutMs: number) =>
    new Promise<unknown[]>((resolve, reject) => {
      const check = () => {
        if (cond(events)) {
          done();
          resolve(events.slice());
        } else if (ended) {
          done();
          reject(
            new Error(`watch ${path} ended after ${events.length} events without the one awaited`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `watch ${path}: awaited event not seen in ${timeoutMs} ms (${events.length} events)`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    code,
    events,
    waitUntil,
    waitFor: (count, timeoutMs) => waitUntil(ev => ev.length >= count, timeoutMs),
    endsWithin: timeoutMs =>
      waitUntil(() => ended, timeoutMs).then(
        () => true,
        () => ended,
      ),
    close: () => req.destroy(),
  };
}

function warningsOf(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : header.split(/,(?=\s*\d{3} )/);
  // `299 - "text"`: the text is what a user sees (kubectl prints it as "Warning: text").
  return values.map(v => /^\s*\d{3} \S+ "(.*)"\s*$/.exec(v)?.[1]?.replace(/\\"/g, '"') ?? v.trim());
}

function parseOrText(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}
