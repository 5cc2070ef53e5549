import type { ServerResponse } from 'node:http';
import {
  ApiError,
  type KubeObject,
  type Registry,
  type RequestContext,
  type ResourceRef,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from '../registry/types';
import type { ResourceOutput } from './negotiation';
import { groupVersionOf } from '../registry/resources';
import { partialObjectMetadata, tableOfObject } from './table';
import { failure } from './status';
import { setWarnings } from './respond';

/** Bounds on watches: how many at once, and how much unsent output one may queue. */
export interface WatchLimits {
  maxWatches: number;
  /** A client that leaves this many bytes unread is cut off (kube drops slow watchers too). */
  maxBufferedBytes: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatches: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
};

/** kube-apiserver's default watch lifetime when the client gives none: 30 to 60 minutes. */
function defaultTimeoutSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

/**
 * The JSON of objects already sent to some watcher. The registry hands every watcher of a
 * change the same object, so with many watchers (100 in the benchmark) each change is
 * serialised once instead of once per watcher. Keyed weakly: gone with the object.
 */
const serialised = new WeakMap<object, string>();

function eventLine(
  event: WatchEvent,
  output: ResourceOutput,
  encode: (e: WatchEvent) => unknown,
): string {
  if (output.kind !== 'object') return `${JSON.stringify(encode(event))}\n`;
  let json = serialised.get(event.object);
  if (json === undefined) {
    json = JSON.stringify(event.object);
    serialised.set(event.object, json);
  }
  return `{"type":"${event.type}","object":${json}}\n`;
}

/** Counts the watches being served (bounded) and ends them all at shutdown. */
export class WatchGate {
  private readonly open = new Set<() => void>();
  private closed = false;
  constructor(readonly limits: WatchLimits) {}
  get count(): number {
    return this.open.size;
  }
  enter(end: () => void): boolean {
    if (this.closed || this.open.size >= this.limits.maxWatches) return false;
    this.open.add(end);
    return true;
  }
  leave(end: () => void): void {
    this.open.delete(end);
  }
  /** Ends every watch (clients see the stream end and re-watch elsewhere or later). */
  closeAll(): void {
    this.closed = true;
    for (const end of [...this.open]) end();
  }
}

export function tooManyWatches(): ApiError {
  return new ApiError(
    failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {
      retryAfterSeconds: 1,
    }),
  );
}

/**
 * Serves a watch as kube-apiserver does: status 200 at once, then one JSON object per event
 * (`{"type":..,"object":..}`), each flushed as it happens. A too-old resourceVersion becomes
 * an ERROR event carrying the 410 Status, then the stream ends. The registry's watch stops
 * when the client goes away, when timeoutSeconds pass, or when the client stops reading.
 */
export async function serveWatch(
  res: ServerResponse,
  registry: Registry,
  ref: ResourceRef,
  options: WatchOptions,
  ctx: RequestContext,
  output: ResourceOutput,
  gate: WatchGate,
  now: () => Date,
): Promise<void> {
  let handle: WatchHandle | undefined;
  let finished = false;
  const timer: { handle?: NodeJS.Timeout; bookmark?: NodeJS.Timeout } = {};
  let sentHeaders = false;
  // Events delivered together (a group commit hands over many at once) go to the socket as
  // one write: one chunk and one TLS record instead of one per event.
  const pending: string[] = [];
  let pendingBytes = 0;
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0 || res.destroyed || res.writableEnded) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending.length = 0;
    pendingBytes = 0;
    res.write(text);
  };
  const finish = () => {
    if (finished) return;
    flush();
    finished = true;
    gate.leave(finish);
    if (timer.handle) clearTimeout(timer.handle);
    if (timer.bookmark) clearTimeout(timer.bookmark);
    handle?.stop();
    if (!res.writableEnded) res.end();
  };
  if (!gate.enter(finish)) throw tooManyWatches();
  res.once('close', finish);

  // kube answers application/json even to `application/json;stream=watch`.
  const contentType = 'application/json';
  const start = () => {
    if (res.headersSent) return;
    setWarnings(res, ctx.warnings);
    res.writeHead(200, {
      'Content-Type': contentType,
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
  };

  const encode = (event: WatchEvent): unknown => {
    if (event.type === 'ERROR' || output.kind === 'object') return event;
    const obj = event.object as KubeObject;
    if (output.kind === 'partial')
      return { type: event.type, object: partialObjectMetadata(obj, output.version) };
    if (event.type === 'BOOKMARK') {
      // A bookmark carries only a resourceVersion; as a Table it is a table without rows.
      return {
        type: event.type,
        object: {
          kind: 'Table',
          apiVersion: `meta.k8s.io/${output.version}`,
          metadata: { resourceVersion: obj.metadata.resourceVersion ?? '' },
          columnDefinitions: null,
          rows: null,
        },
      };
    }
    const table = tableOfObject(ref.resource, obj, {
      include: 'Metadata',
      // Column definitions once per stream, as kube-apiserver sends them.
      noHeaders: sentHeaders,
      version: output.version,
      now: now(),
    });
    sentHeaders = true;
    return { type: event.type, object: table };
  };

  const onEvent = (event: WatchEvent) => {
    if (finished) return;
    start();
    const line = eventLine(event, output, encode);
    pending.push(line);
    pendingBytes += line.length;
    if (event.type === 'ERROR') {
      finish();
      return;
    }
    // The bound counts what waits here as well as what the socket has not taken yet.
    if (res.writableLength + pendingBytes > gate.limits.maxBufferedBytes) {
      pending.length = 0;
      pendingBytes = 0;
      res.destroy();
      return;
    }
    if (!flushScheduled) {
      flushScheduled = true;
      // A microtask: the store hands a whole commit batch to the watchers synchronously, so
      // this runs once that delivery is done, and before the writers' answers go out.
      queueMicrotask(flush);
    }
  };

  const timeoutSeconds = options.timeoutSeconds ?? defaultTimeoutSeconds();
  try {
    handle = await registry.watch(ref, { ...options, timeoutSeconds }, ctx, onEvent);
  } catch (error) {
    if (error instanceof ApiError && error.code === 410) {
      // kube answers a too-old resourceVersion on a watch with 200 and an ERROR event.
      onEvent({ type: 'ERROR', object: error.status });
      return;
    }
    // Nothing was sent yet: the caller answers with the error's Status.
    finished = true;
    gate.leave(finish);
    res.off('close', finish);
    throw error;
  }
  if (finished) {
    handle.stop();
    return;
  }
  start();
  res.flushHeaders();
  timer.handle = setTimeout(finish, timeoutSeconds * 1000);
  if (options.allowWatchBookmarks && timeoutSeconds > 2) {
    // kube sends a bookmark two seconds before a watch's deadline, so a client resumes from
    // the newest revision rather than its last event. The registry's current revision is
    // read with a one-item list (its events are delivered before its lists answer).
    timer.bookmark = setTimeout(
      () => {
        const { name: _name, ...collection } = ref;
        registry.list(collection, { limit: 1 }, ctx).then(
          list =>
            onEvent({
              type: 'BOOKMARK',
              object: {
                apiVersion: groupVersionOf(ref.resource),
                kind: ref.resource.kind,
                metadata: { resourceVersion: list.metadata.resourceVersion },
              },
            }),
          () => {}, // no bookmark then; the watch ends at its deadline all the same
        );
      },
      (timeoutSeconds - 2) * 1000,
    );
  }
}
