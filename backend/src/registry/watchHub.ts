import type { RevisionStore, StoredEvent } from '../storage/revisionStore';
import { prefixOfKey } from './keys';
import type { FieldSelector, LabelSelector } from './selectors';
import type { KubeObject, WatchEvent } from './types';

/**
 * Fans committed changes out to watches. Every event is parsed once and the same object is
 * handed to every watcher (nothing per watcher is kept but its filter and a short queue while
 * it starts). A watcher whose selector an object moves into sees ADDED, one it moves out of
 * sees DELETED (with the new object), as kube-apiserver's watch cache does.
 */

export interface WatchFilter {
  /** Key prefix of the watched resource (`GROUP/RESOURCE/`). */
  resource: string;
  /** Key prefix of the watched collection (the resource, or one namespace of it). */
  prefix: string;
  labels: LabelSelector;
  fields: FieldSelector;
}

export interface Watcher {
  filter: WatchFilter;
  bookmarks: boolean;
  /** Object shape of a BOOKMARK: apiVersion and kind of the watched resource. */
  bookmarkType: { apiVersion: string; kind: string };
  deliver: (event: WatchEvent) => void;
  /** Events held until the watch's opening events have gone out (keeps the order). */
  pending?: WatchEvent[];
  stopped: boolean;
}

interface ParsedEvent {
  stored: StoredEvent;
  object?: KubeObject;
  prev?: KubeObject | null;
  prevAtRevision?: KubeObject;
}

function matches(filter: WatchFilter, o: KubeObject): boolean {
  return filter.labels.matches(o.metadata.labels) && filter.fields.matches(o);
}

function withRevision(object: KubeObject, rev: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rev) } };
}

export class WatchHub {
  private readonly byResource = new Map<string, Set<Watcher>>();
  private readonly timer: NodeJS.Timeout;
  private readonly detach: () => void;

  constructor(
    private readonly store: RevisionStore,
    bookmarkIntervalMs: number,
  ) {
    this.detach = store.onCommit(events => this.publish(events));
    this.timer = setInterval(() => this.sendBookmarks(), bookmarkIntervalMs);
    this.timer.unref();
  }

  /** Registers a watcher; it receives every later commit. */
  add(watcher: Watcher): void {
    const resource = watcher.filter.resource;
    let set = this.byResource.get(resource);
    if (!set) this.byResource.set(resource, (set = new Set()));
    set.add(watcher);
  }

  remove(watcher: Watcher): void {
    watcher.stopped = true;
    const resource = watcher.filter.resource;
    const set = this.byResource.get(resource);
    set?.delete(watcher);
    if (set?.size === 0) this.byResource.delete(resource);
  }

  watcherCount(): number {
    let n = 0;
    for (const set of this.byResource.values()) n += set.size;
    return n;
  }

  /**
   * Hands logged events (a resume from a resourceVersion) to one watcher directly, ahead of
   * the live events its queue holds.
   */
  replay(watcher: Watcher, events: StoredEvent[]): void {
    for (const stored of events) {
      const event = this.decide(watcher, { stored });
      if (event && !watcher.stopped) watcher.deliver(event);
    }
  }

  /** One event straight to a watcher (its opening events), ahead of its queue. */
  deliver(watcher: Watcher, event: WatchEvent): void {
    if (!watcher.stopped) watcher.deliver(event);
  }

  private publish(events: StoredEvent[]): void {
    if (this.byResource.size === 0) return;
    for (const stored of events) {
      const set = this.byResource.get(prefixOfKey(stored.key));
      if (!set || set.size === 0) continue;
      const parsed: ParsedEvent = { stored };
      for (const watcher of set) this.offer(watcher, parsed);
    }
  }

  /** Queues or delivers what one watcher sees of one change. */
  private offer(watcher: Watcher, event: ParsedEvent): void {
    const decided = this.decide(watcher, event);
    if (decided) this.emit(watcher, decided);
  }

  /** What (if anything) one watcher sees of one change. */
  private decide(watcher: Watcher, event: ParsedEvent): WatchEvent | undefined {
    if (watcher.stopped || !event.stored.key.startsWith(watcher.filter.prefix)) return undefined;
    const object = (event.object ??= JSON.parse(event.stored.json) as KubeObject);
    const { labels, fields } = watcher.filter;
    // The common case (no selector): every change as it is, without evaluating anything.
    if (labels.empty && fields.empty) return { type: event.stored.type, object };
    const now = matches(watcher.filter, object);
    if (event.stored.type === 'ADDED') return now ? { type: 'ADDED', object } : undefined;
    if (event.prev === undefined) {
      event.prev = event.stored.prevJson ? (JSON.parse(event.stored.prevJson) as KubeObject) : null;
    }
    const before = event.prev ? matches(watcher.filter, event.prev) : false;
    if (event.stored.type === 'DELETED')
      return before || now ? { type: 'DELETED', object } : undefined;
    if (now) return { type: before ? 'MODIFIED' : 'ADDED', object };
    if (before) {
      // Moved out of the selection: kube sends DELETED with the object as it was (the last
      // state the watcher matched), at this event's resourceVersion.
      const movedOut = (event.prevAtRevision ??= withRevision(event.prev!, event.stored.rev));
      return { type: 'DELETED', object: movedOut };
    }
    return undefined;
  }

  emit(watcher: Watcher, event: WatchEvent): void {
    if (watcher.stopped) return;
    if (watcher.pending) watcher.pending.push(event);
    else watcher.deliver(event);
  }

  /** Lets a watcher's held events go, in order, and delivers directly from then on. */
  release(watcher: Watcher): void {
    const pending = watcher.pending ?? [];
    watcher.pending = undefined;
    for (const event of pending) {
      if (watcher.stopped) return;
      watcher.deliver(event);
    }
  }

  /** A BOOKMARK at `rev` (default: the store's revision), queued like any event. */
  bookmark(watcher: Watcher, annotations?: Record<string, string>, rev?: number): void {
    this.emit(watcher, this.bookmarkEvent(watcher, annotations, rev));
  }

  bookmarkEvent(watcher: Watcher, annotations?: Record<string, string>, rev?: number): WatchEvent {
    const metadata: Record<string, unknown> = {
      resourceVersion: String(rev ?? this.store.currentRevision()),
    };
    if (annotations) metadata.annotations = annotations;
    return { type: 'BOOKMARK', object: { ...watcher.bookmarkType, metadata } as KubeObject };
  }

  private sendBookmarks(): void {
    for (const set of this.byResource.values()) {
      for (const watcher of set) if (watcher.bookmarks && !watcher.pending) this.bookmark(watcher);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.detach();
    for (const set of this.byResource.values()) for (const w of set) w.stopped = true;
    this.byResource.clear();
  }
}
