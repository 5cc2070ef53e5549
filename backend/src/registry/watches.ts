import type { RevisionStore } from '../storage/revisionStore';
import { expired } from './errors';
import { collectionPrefix, resourcePrefix } from './keys';
import { listRows, parseRevision } from './lists';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { groupVersionOf } from './resources';
import type { WatchHub, Watcher } from './watchHub';
import type { KubeObject, ResourceRef, WatchEvent, WatchHandle, WatchOptions } from './types';

/** Opening events handed over per turn of the event loop. */
const OPENING_CHUNK = 200;

/**
 * Starting a watch with kube's resourceVersion semantics:
 * - absent or "0": ADDED for every object now matching, then every later change;
 * - N: every change after revision N, from the event log (410 Expired when N is older than
 *   the log's window), then live changes;
 * - sendInitialEvents=true: the initial ADDED events, then a BOOKMARK annotated
 *   `k8s.io/initial-events-end: "true"`, then changes.
 * The opening events are handed over after `watch` returns, in chunks, with every commit
 * from the start on queued behind them, so there is no gap and no duplicate.
 */
export function startWatch(
  store: RevisionStore,
  hub: WatchHub,
  ref: ResourceRef,
  options: WatchOptions,
  onEvent: (event: WatchEvent) => void,
): WatchHandle {
  const r = ref.resource;
  const labels = parseLabelSelector(options.labelSelector);
  const fields = parseFieldSelector(options.fieldSelector, r.kind);
  const namespace = ref.namespace ?? (r.namespaced ? fields.namespace : undefined);
  const watcher: Watcher = {
    filter: { resource: resourcePrefix(r), prefix: collectionPrefix(r, namespace), labels, fields },
    bookmarks: options.allowWatchBookmarks === true,
    bookmarkType: { apiVersion: groupVersionOf(r), kind: r.kind },
    deliver: onEvent,
    pending: [],
    stopped: false,
  };

  const rv = options.resourceVersion;
  const fromState = rv === undefined || rv === '' || rv === '0';
  const initial = options.sendInitialEvents ?? fromState;
  // The opening (initial state or logged events) goes out in chunks, after `watch` returns;
  // commits from now on queue behind it. A slow client therefore holds at most a chunk
  // beyond what the HTTP layer buffers for it (and that layer cuts a client that falls
  // too far behind, which stops this pump).
  let step: () => boolean;
  if (initial) {
    // The current state as ADDED events (or, with sendInitialEvents and a revision, the state
    // at that revision, served from the event log like a list), kept as JSON text until sent.
    const { metadata, items } = listRows(
      store,
      { ...ref, namespace },
      {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: fromState ? undefined : rv,
        resourceVersionMatch: fromState ? undefined : 'NotOlderThan',
      },
    );
    let next = 0;
    step = () => {
      const end = Math.min(items.length, next + OPENING_CHUNK);
      for (; next < end; next++) {
        hub.deliver(watcher, { type: 'ADDED', object: JSON.parse(items[next]!) as KubeObject });
      }
      if (next < items.length) return false;
      if (options.sendInitialEvents === true && watcher.bookmarks) {
        const end = { 'k8s.io/initial-events-end': 'true' };
        hub.deliver(watcher, hub.bookmarkEvent(watcher, end, Number(metadata.resourceVersion)));
      }
      return true;
    };
  } else {
    const from = parseRevision(rv!);
    if (from < store.watchFloor()) {
      throw expired(`too old resource version: ${from} (${store.watchFloor() + 1})`);
    }
    const upTo = store.currentRevision();
    let cursor = from;
    step = () => {
      if (cursor < store.watchFloor()) {
        // Compacted while the replay ran (a very long replay under heavy writes): as kube, the
        // client is told its version is too old and starts again from a list.
        const error = expired(`too old resource version: ${cursor} (${store.watchFloor() + 1})`);
        hub.deliver(watcher, { type: 'ERROR', object: error.status });
        hub.remove(watcher);
        return true;
      }
      const events = store
        .eventsAfter(cursor, watcher.filter.prefix, OPENING_CHUNK)
        .filter(e => e.rev <= upTo);
      hub.replay(watcher, events);
      const last = events[events.length - 1];
      if (!last || last.rev >= upTo || events.length < OPENING_CHUNK) return true;
      cursor = last.rev;
      return false;
    };
  }
  hub.add(watcher);
  const pump = () => {
    if (watcher.stopped) return;
    if (step()) hub.release(watcher);
    else setImmediate(pump);
  };
  setImmediate(pump);
  return { stop: () => hub.remove(watcher) };
}
