import { RevisionStore } from '../storage/revisionStore';
import { notFound } from './errors';

import { objectKey } from './keys';
import { strategyFor, type KindStrategy } from './kinds';
import { listJson, listObjects, listTextPieces } from './lists';
import { ObjectWriter } from './objectWriter';
import { SERVED_RESOURCES } from './resources';
import { startWatch } from './watches';
import { WatchHub } from './watchHub';
import type {
  DeleteOptions,
  KubeObject,
  ListJson,
  ListOptions,
  PatchType,
  Registry,
  RequestContext,
  ResourceDescriptor,
  ResourceRef,
  StatusJson,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from './types';

export interface RegistryOptions {
  dataDir: string;
  now?: () => Date;
  /** Revisions kept in the event log for watch resume and continue tokens (default 50,000). */
  eventWindow?: number;
  /** How often watches that allow bookmarks get one (default 30 s; kube sends one about every minute). */
  bookmarkIntervalMs?: number;
}

/** Namespaces kube-apiserver creates at its first start. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The registry: Kubernetes object semantics over the revisioned SQLite store. */
export class StoreRegistry implements Registry {
  private readonly strategies = new Map<ResourceDescriptor, KindStrategy>();
  private readonly writer: ObjectWriter;
  private readonly hub: WatchHub;
  private closed = false;

  private constructor(
    private readonly store: RevisionStore,
    options: RegistryOptions,
  ) {
    const now = options.now ?? (() => new Date());
    for (const r of SERVED_RESOURCES) this.strategies.set(r, strategyFor(r));
    this.writer = new ObjectWriter(store, r => this.strategyOf(r), now);
    this.hub = new WatchHub(store, options.bookmarkIntervalMs ?? 30_000);
  }

  static async open(options: RegistryOptions): Promise<StoreRegistry> {
    const store = RevisionStore.open(options.dataDir, { eventWindow: options.eventWindow });
    const registry = new StoreRegistry(store, options);
    const fresh = store.currentRevision() === 0;
    await registry.ensureSystemNamespaces(options.now ?? (() => new Date()));
    // A new store's watchable history starts after its system namespaces, as
    // kube-apiserver's watch cache starts at the revision it was initialised at: a watch
    // from a revision before that (e.g. "1") is 410 Expired on both servers. (A list at such
    // a revision is served, as etcd serves it.)
    if (fresh) store.markHistoryStart(store.currentRevision());
    return registry;
  }

  private strategyOf(r: ResourceDescriptor): KindStrategy {
    // Descriptors may be copies (e.g. the HTTP layer's own lookup): match by identity fields.
    const direct = this.strategies.get(r);
    if (direct) return direct;
    for (const [d, s] of this.strategies) {
      if (d.group === r.group && d.version === r.version && d.resource === r.resource) return s;
    }
    throw new Error(`resource ${r.group}/${r.resource} is not served`);
  }

  private async ensureSystemNamespaces(_now: () => Date): Promise<void> {
    const namespaces = SERVED_RESOURCES.find(r => r.resource === 'namespaces' && r.group === '')!;
    const missing = SYSTEM_NAMESPACES.filter(
      n => !this.store.get(objectKey(namespaces, undefined, n)),
    );
    if (missing.length === 0) return;
    const ctx: RequestContext = {
      user: { name: 'system:apiserver', groups: ['system:masters'] },
      dryRun: false,
      fieldManager: 'kube-apiserver',
      fieldValidation: 'Strict',
      warnings: [],
    };
    await Promise.all(
      missing.map(name =>
        this.writer.create(
          { resource: namespaces },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          ctx,
        ),
      ),
    );
  }

  resources(): ResourceDescriptor[] {
    return SERVED_RESOURCES;
  }

  async get(ref: ResourceRef, _ctx: RequestContext): Promise<KubeObject> {
    const stored = this.store.get(objectKey(ref.resource, ref.namespace, ref.name!));
    if (!stored) throw notFound(ref.resource, ref.name!);
    return JSON.parse(stored.json) as KubeObject;
  }

  async list(ref: ResourceRef, options: ListOptions, _ctx: RequestContext): Promise<ListJson> {
    return listObjects(this.store, ref, options);
  }

  async listJsonPieces(
    ref: ResourceRef,
    options: ListOptions,
    _ctx: RequestContext,
  ): Promise<{ next(): string | undefined }> {
    return listTextPieces(this.store, ref, options);
  }

  async watch(
    ref: ResourceRef,
    options: WatchOptions,
    _ctx: RequestContext,
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle> {
    if (this.closed) throw new Error('the registry is closed');
    return startWatch(this.store, this.hub, ref, options, onEvent);
  }

  create(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject> {
    return this.writer.create(ref, body, ctx);
  }

  update(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject> {
    return this.writer.update(ref, body, ctx);
  }

  patch(
    ref: ResourceRef,
    type: PatchType,
    patch: unknown,
    options: { force?: boolean },
    ctx: RequestContext,
  ): Promise<KubeObject> {
    return this.writer.patch(ref, type, patch, options, ctx);
  }

  delete(
    ref: ResourceRef,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<KubeObject | StatusJson> {
    return this.writer.delete(ref, options, ctx);
  }

  async deleteCollection(
    ref: ResourceRef,
    list: ListOptions,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<ListJson> {
    const { continue: _c, limit: _l, ...selection } = list;
    const current = listObjects(this.store, ref, selection);
    const names = current.items.map(o => ({
      namespace: o.metadata.namespace,
      name: o.metadata.name!,
    }));
    const items = names.length === 0 ? [] : await this.writer.deleteEach(ref, names, options, ctx);
    // kube answers the list of what it deleted (or marked for deletion), continue empty.
    return listJson(
      ref.resource,
      { continue: '', resourceVersion: String(this.store.currentRevision()) },
      items,
    );
  }

  /** Watches currently open (for the HTTP layer's bound and for tests). */
  watchCount(): number {
    return this.hub.watcherCount();
  }

  /** The store's latest revision (for diagnostics and tests). */
  currentRevision(): number {
    return this.store.currentRevision();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    await this.store.close();
  }
}
