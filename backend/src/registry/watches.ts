import type { RevisionStore } from '../storage/revisionStore';
import { expired } from './errors';
import { collectionPrefix, resourcePrefix } from './keys';
import { listObjects, parseRevision } from './lists';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { groupVersionOf } from './resources';
import type { WatchHub, Watcher } from './watchHub';
import type { ResourceRef, WatchEvent, WatchHandle, WatchOptions } from './types';

/**
 * Starting a watch with kube's resourceVersion semantics:
 * - absent or "0": ADDED for every object now matching, then every later change;
 * - N: every change after revision N, from the event log (410 Expired when N is older than
 *   the log's window), then live changes;
 * - sendInitialEvents=true: the initial ADDED events, then a BOOKMARK annotated
 *   `k8s.io/initial-events-end: "true"`, then changes.
 * The opening events are handed over after `watch` returns, with every commit in between
 * queued behind them, so there is no gap and no duplicate.
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
  if (initial) {
    // The current state as ADDED events (or, with sendInitialEvents and a revision, the state
    // at that revision, served from the event log like a list).
    const list = listObjects(
      store,
      { ...ref, namespace },
      {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion: fromState ? undefined : rv,
        resourceVersionMatch: fromState ? undefined : 'NotOlderThan',
      },
    );
    for (const object of list.items) hub.emit(watcher, { type: 'ADDED', object });
    if (options.sendInitialEvents === true && watcher.bookmarks) {
      hub.bookmark(watcher, { 'k8s.io/initial-events-end': 'true' });
    }
  } else {
    const from = parseRevision(rv!);
    if (from < store.watchFloor()) {
      throw expired(`too old resource version: ${from} (${store.watchFloor() + 1})`);
    }
    hub.replay(watcher, store.eventsAfter(from, watcher.filter.prefix));
  }
  hub.add(watcher);
  setImmediate(() => hub.release(watcher));
  return { stop: () => hub.remove(watcher) };
}
