/**
 * Worker thread holding the benchmark's watchers, so reading their streams does not delay the
 * writers' event loop. Each watcher records, for every event, when it arrived, keyed by the
 * event's resourceVersion; the main thread matches those against when each write was answered.
 *
 * A server may end a watch early (kube-apiserver closes a watcher that falls behind its
 * cache); the watcher then resumes from the last resourceVersion it saw, as every Kubernetes
 * client does, and the resumption is counted.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { nowMs, resourceVersionOf } from './apiBenchHttp';

export interface WatchersInput {
  url: string;
  caPem: string;
  token: string;
  /** Path of the collection to watch (no query). */
  path: string;
  /** resourceVersion to start from. */
  fromResourceVersion: string;
  watchers: number;
  /** Events each watcher must see before it is done. */
  expectedEvents: number;
}

/** From the main thread: stop waiting and report what has arrived. */
export type WatchersCommand = { type: 'finish' };

export type WatchersMessage =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | {
      type: 'result';
      /** resourceVersion → arrival time at each watcher that saw it. */
      arrivals: Map<string, number[]>;
      /** Events each watcher saw. */
      seen: number[];
      /** Watches the server ended early and the watcher resumed. */
      resumed: number;
    };

function run(input: WatchersInput): void {
  const port = parentPort!;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity, ca: input.caPem });
  const arrivals = new Map<string, number[]>();
  const seen: number[] = new Array<number>(input.watchers).fill(0);
  const lastRv: string[] = new Array<string>(input.watchers).fill(input.fromResourceVersion);
  const live = new Set<ReturnType<typeof request>>();
  let connected = 0;
  let finished = 0;
  let resumed = 0;
  let reported = false;

  const end = (message: WatchersMessage) => {
    if (reported) return;
    reported = true;
    for (const req of live) req.destroy();
    port.postMessage(message);
  };
  const fail = (message: string) => end({ type: 'error', message });

  const onEvents = (w: number, res: IncomingMessage) => {
    res.setEncoding('utf8');
    let pending = '';
    res.on('data', (chunk: string) => {
      // Every event in one chunk arrived at the same moment.
      const at = nowMs();
      pending += chunk;
      let start = 0;
      let newline: number;
      for (; (newline = pending.indexOf('\n', start)) >= 0; start = newline + 1) {
        const line = pending.slice(start, newline);
        if (line.startsWith('{"type":"ERROR"')) return fail(`watch ${w}: ${line.slice(0, 300)}`);
        const rv = resourceVersionOf(line);
        if (rv === undefined) continue;
        lastRv[w] = rv;
        if (line.startsWith('{"type":"BOOKMARK"')) continue;
        let times = arrivals.get(rv);
        if (times === undefined) arrivals.set(rv, (times = []));
        times.push(at);
        if (++seen[w]! === input.expectedEvents && ++finished === input.watchers) {
          return end({ type: 'result', arrivals, seen, resumed });
        }
      }
      pending = pending.slice(start);
    });
    res.on('end', () => {
      if (reported || seen[w]! >= input.expectedEvents) return;
      resumed++;
      watch(w, false);
    });
  };

  const watch = (w: number, first: boolean) => {
    const query = `?watch=true&allowWatchBookmarks=true&resourceVersion=${lastRv[w]}`;
    const req = request(
      input.url + input.path + query,
      { agent, headers: { authorization: `Bearer ${input.token}`, accept: 'application/json' } },
      res => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail(`watch ${w}: HTTP ${res.statusCode}`);
        }
        if (first && ++connected === input.watchers)
          port.postMessage({ type: 'ready' } satisfies WatchersMessage);
        onEvents(w, res);
      },
    );
    live.add(req);
    req.on('close', () => live.delete(req));
    req.on('error', error => fail(`watch ${w}: ${error.message}`));
    req.end();
  };

  for (let w = 0; w < input.watchers; w++) watch(w, true);
  port.on('message', (command: WatchersCommand) => {
    if (command.type === 'finish') end({ type: 'result', arrivals, seen, resumed });
  });
}

if (parentPort) run(workerData as WatchersInput);
