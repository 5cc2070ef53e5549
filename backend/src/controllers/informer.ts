import type { KubeClient, WatchHandle } from './kubeClient';
import { ApiError } from './kubeClient';

/**
 * An informer: LIST (paged) then WATCH from the list's resourceVersion, keeping a cache of
 * the objects and telling handlers what changed. A watch that ends is resumed from the last
 * resourceVersion seen; a 410 Gone (the revision is too old) or an unreadable stream makes
 * it re-list, and the cache is replaced with the difference reported as adds, updates and
 * deletes. Errors back off (0.2 s doubling to 10 s) and never stop the informer: a
 * controller whose informer gave up would act on a frozen view.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetadata;
}

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  /** Collection path, e.g. /apis/wasmbed.io/v1alpha1/namespaces/default/devices */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Most objects cached; a list or watch past it stops adding (and logs) rather than growing. */
  maxObjects?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const PAGE = 500;
const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

/** Numeric resourceVersions compare as numbers (both etcd's and the embedded store's are). */
export function newerOrSame(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}

export const objectKey = (m: { namespace?: string; name: string }) =>
  `${m.namespace ?? ''}/${m.name}`;

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly indexers = new Map<string, (obj: T) => string[]>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private resourceVersion = '';
  private stopped = false;
  private watchHandle: WatchHandle | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private wake: (() => void) | undefined;
  private syncedResolve!: () => void;
  readonly synced: Promise<void>;
  private readonly maxObjects: number;
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerOptions,
  ) {
    this.maxObjects = options.maxObjects ?? 200_000;
    this.synced = new Promise(resolve => (this.syncedResolve = resolve));
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /** An index: `fn` names the values an object is found under by `byIndex(name, value)`. */
  addIndex(name: string, fn: (obj: T) => string[]): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, obj] of this.cache) this.indexOne(index, fn, key, obj, true);
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.cache.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  private indexOne(
    index: Map<string, Set<string>>,
    fn: (obj: T) => string[],
    key: string,
    obj: T,
    add: boolean,
  ): void {
    for (const value of fn(obj)) {
      let keys = index.get(value);
      if (add) {
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      } else if (keys) {
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }

  /** Every cache change goes through here, so the indexes follow it. */
  private put(key: string, obj: T | undefined): void {
    const old = this.cache.get(key);
    for (const [name, fn] of this.indexers) {
      const index = this.indexes.get(name)!;
      if (old) this.indexOne(index, fn, key, old, false);
      if (obj) this.indexOne(index, fn, key, obj, true);
    }
    if (obj) this.cache.set(key, obj);
    else this.cache.delete(key);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(objectKey({ namespace, name }));
  }

  list(): IterableIterator<T> {
    return this.cache.values();
  }

  get size(): number {
    return this.cache.size;
  }

  /**
   * Write-through: a controller puts what the server answered to its own write, so its next
   * reconcile does not act on the older copy before the watch delivers the change (which
   * would, for example, move a second rollout batch). An older copy never replaces a newer.
   */
  assume(obj: T): void {
    const key = objectKey(obj.metadata);
    const old = this.cache.get(key);
    if (old && !newerOrSame(obj.metadata.resourceVersion, old.metadata.resourceVersion)) return;
    this.put(key, obj);
  }

  /** Write-through of a deletion the controller made. */
  forgetObject(namespace: string | undefined, name: string): void {
    this.put(objectKey({ namespace, name }), undefined);
  }

  start(): void {
    if (!this.running) this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchHandle?.abort();
    this.wake?.();
    await this.running;
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams(extra);
    if (this.options.labelSelector) q.set('labelSelector', this.options.labelSelector);
    if (this.options.fieldSelector) q.set('fieldSelector', this.options.fieldSelector);
    return `${this.options.path}?${q}`;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        const gone = await this.watchOnce();
        if (gone) this.resourceVersion = '';
        this.backoffMs = MIN_BACKOFF_MS;
      } catch (error) {
        if (this.stopped) break;
        this.options.log?.('informer: list or watch failed; retrying', {
          path: this.options.path,
          error: String(error),
          retryMs: this.backoffMs,
        });
        if (error instanceof ApiError && error.status === 410) this.resourceVersion = '';
        await this.sleep(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont = '';
    let rv = '';
    do {
      const page = await this.client.get<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>(this.query({ limit: String(PAGE), ...(cont ? { continue: cont } : {}) }));
      for (const item of page.items ?? []) {
        if (fresh.size >= this.maxObjects) break;
        fresh.set(objectKey(item.metadata), item);
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue ?? '';
    } while (cont && !this.stopped);
    if (fresh.size >= this.maxObjects)
      this.options.log?.('informer: object cap reached; the rest is not cached', {
        path: this.options.path,
        maxObjects: this.maxObjects,
      });
    const old = new Map(this.cache);
    for (const k of old.keys()) if (!fresh.has(k)) this.put(k, undefined);
    for (const [k, v] of fresh) this.put(k, v);
    this.resourceVersion = rv;
    for (const [k, obj] of fresh) {
      const before = old.get(k);
      if (!before) this.emit('add', undefined, obj);
      else if (before.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.emit('update', before, obj);
    }
    for (const [k, before] of old) if (!fresh.has(k)) this.emit('delete', before, before);
    this.syncedResolve();
  }

  /** One watch until it ends; true when the server said the revision is gone (re-list). */
  private async watchOnce(): Promise<boolean> {
    let gone = false;
    // The server closes the watch after timeoutSeconds; a spread avoids every informer
    // re-watching at the same moment.
    const timeout = String(240 + Math.floor(Math.random() * 120));
    this.watchHandle = this.client.watch(
      this.query({
        watch: '1',
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: timeout,
      }),
      event => {
        if (gone || this.stopped) return;
        const obj = event.object as T & { code?: number };
        if (event.type === 'ERROR') {
          // A 410 (and any other error Status) means this revision cannot be resumed.
          gone = true;
          this.watchHandle?.abort();
          return;
        }
        if (!obj?.metadata?.name) return;
        if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
        if (event.type === 'BOOKMARK') return;
        const key = objectKey(obj.metadata);
        const before = this.cache.get(key);
        if (event.type === 'DELETED') {
          this.put(key, undefined);
          this.emit('delete', before ?? obj, obj);
        } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
          if (!before && this.cache.size >= this.maxObjects) return;
          // A copy the controller assumed from its own write may be newer than this event.
          if (before && !newerOrSame(obj.metadata.resourceVersion, before.metadata.resourceVersion))
            return;
          this.put(key, obj);
          if (before) this.emit('update', before, obj);
          else this.emit('add', undefined, obj);
        }
      },
    );
    const error = await this.watchHandle.ended;
    this.watchHandle = undefined;
    if (error && !gone && !this.stopped) throw error;
    return gone;
  }

  private emit(kind: 'add' | 'update' | 'delete', before: T | undefined, obj: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.add?.(obj);
        else if (kind === 'update') h.update?.(before!, obj);
        else h.delete?.(obj);
      } catch (error) {
        this.options.log?.('informer: a handler threw', { error: String(error) });
      }
    }
  }
}
