import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';

/**
 * The embedded API server as a real process (`backend/src/cli/api.ts`), for process-level
 * tests. It runs as ONE node process (`node --import tsx`, not `npx tsx`, which would put a
 * wrapper process in front), so a signal sent to `pid` reaches the server itself.
 */

const ROOT = resolve(__dirname, '../..');

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  ca: string;
  token: string;
  stderr: () => string;
}

export function startApiProcess(dataDir: string, port = 0): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'backend/src/cli/api.ts'),
      '--data',
      dataDir,
      '--port',
      String(port),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the API server did not report ready in 30 s; stderr:\n${err}`));
    }, 30_000);
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`the API server exited (${code}) before serving; stderr:\n${err}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /wasmbed-api: serving (https:\/\/\S+) \(kubeconfig (.+)\)\n/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolvePromise({
        child,
        url: m[1]!,
        ca: readFileSync(join(dataDir, 'ca.crt'), 'utf8'),
        token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),
        stderr: () => err,
      });
    });
  });
}

export function killHard(p: ApiProcess): Promise<void> {
  return new Promise(resolvePromise => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolvePromise();
    p.child.once('exit', () => resolvePromise());
    p.child.kill('SIGKILL');
  });
}

export interface Reply {
  status: number;
  body: unknown;
}

/** One request; resolves with the status and parsed JSON body (rejects on a network error). */
export function request(
  api: ApiProcess,
  agent: https.Agent,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request(
      `${api.url}${path}`,
      {
        method,
        agent,
        ca: api.ca,
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: 'application/json',
          ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolvePromise({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export interface WatchStream {
  events: { type: string; object: { metadata: { name?: string; resourceVersion?: string } } }[];
  ended: Promise<void>;
  close: () => void;
}

/** A watch over HTTPS: every JSON line received is parsed into `events`. */
export function watchStream(api: ApiProcess, path: string): WatchStream {
  const events: WatchStream['events'] = [];
  let close = () => {};
  const ended = new Promise<void>(resolvePromise => {
    const req = https.request(
      `${api.url}${path}`,
      { ca: api.ca, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
      res => {
        let buffer = '';
        res.on('data', (c: Buffer) => {
          buffer += c.toString();
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line) events.push(JSON.parse(line));
          }
        });
        res.on('end', () => resolvePromise());
        res.on('error', () => resolvePromise());
        res.on('close', () => resolvePromise());
      },
    );
    req.on('error', () => resolvePromise());
    req.end();
    close = () => req.destroy();
  });
  return { events, ended, close: () => close() };
}
