/**
 * The contract between the API server's HTTP layer (`backend/src/http`) and its registry
 * (`backend/src/registry`, storage in `backend/src/storage`). The HTTP layer parses URLs,
 * bodies and query parameters, authenticates and authorises; the registry owns every
 * Kubernetes semantic of an object (names, resourceVersion, generation, finalizers,
 * validation, patches, server-side apply, selectors, watch). Either side may grow, but a
 * change to these shapes is a change to both.
 */

/** A Kubernetes object as stored and served: JSON with apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetaJson;
  [key: string]: unknown;
}

export interface ObjectMetaJson {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** The meta/v1 Status every error (and some deletes) answers with. */
export interface StatusJson {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/**
 * A Failure Status with its keys in the order kube-apiserver writes them (..., message,
 * reason, details, code). An empty reason is left out, as kube leaves it out of plain
 * storage errors.
 */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: StatusJson['details'],
): StatusJson {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** Thrown by the registry and the HTTP layer; the HTTP layer writes `status` as the body. */
export class ApiError extends Error {
  constructor(readonly status: StatusJson) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
  }
  get code(): number {
    return this.status.code;
  }
}

/** Who is asking, after authentication (the HTTP layer fills it). */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

/** One served resource (a row of discovery): everything needed to route, store and describe it. */
export interface ResourceDescriptor {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural, e.g. 'devices'
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served under this resource; 'status' at least for wasmbed.io kinds. */
  subresources: string[];
  /** Printer columns as in the CRD (Name is implicit, as kube-apiserver adds it). */
  printerColumns: {
    name: string;
    type: string;
    jsonPath: string;
    description?: string;
    priority?: number;
    format?: string;
  }[];
}

/** Addresses an object or a collection. `name` absent = the collection. */
export interface ResourceRef {
  resource: ResourceDescriptor;
  namespace?: string; // absent for cluster-scoped resources, or for all-namespaces lists
  name?: string;
  subresource?: 'status';
}

/** Per-request facts the registry needs beyond the object itself. */
export interface RequestContext {
  user: UserInfo;
  /** dryRun=All: every check runs, nothing is stored, no event is emitted. */
  dryRun: boolean;
  /** `fieldManager` query parameter; when absent the registry derives one from userAgent as kube does. */
  fieldManager?: string;
  /** `fieldValidation`: Strict refuses unknown/duplicate fields; Warn (the default) reports them. */
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  userAgent?: string;
  /** Warnings to send back in `Warning` headers (299 - "..."), as kube-apiserver does. */
  warnings: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | StatusJson;
}

/** A running watch; `stop` ends it (client gone, timeout). */
export interface WatchHandle {
  stop(): void;
}

export interface ListJson {
  apiVersion: string;
  kind: string; // e.g. DeviceList
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

/**
 * What the HTTP layer calls. Every method throws ApiError for a refusal (404, 409, 422, 410...).
 * Writes resolve only once the change is durable (or, with dryRun, once fully checked).
 */
export interface Registry {
  /** Every resource served, in discovery order. */
  resources(): ResourceDescriptor[];
  get(ref: ResourceRef, ctx: RequestContext): Promise<KubeObject>;
  list(ref: ResourceRef, options: ListOptions, ctx: RequestContext): Promise<ListJson>;
  /**
   * Starts a watch. Events go to `onEvent` in resourceVersion order; a too-old
   * resourceVersion throws ApiError 410 Expired (as kube-apiserver answers it on the watch).
   */
  watch(
    ref: ResourceRef,
    options: WatchOptions,
    ctx: RequestContext,
    onEvent: (event: WatchEvent) => void,
  ): Promise<WatchHandle>;
  create(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject>;
  update(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject>;
  patch(
    ref: ResourceRef,
    type: PatchType,
    patch: unknown,
    options: { force?: boolean },
    ctx: RequestContext,
  ): Promise<KubeObject>;
  /** Returns the object (with deletionTimestamp when finalizers hold it) or a Success Status. */
  delete(
    ref: ResourceRef,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<KubeObject | StatusJson>;
  deleteCollection(
    ref: ResourceRef,
    list: ListOptions,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<ListJson>;
  /**
   * The same list as `list`, as the JSON text of the response body (byte for byte
   * `JSON.stringify` of `list`'s answer), built from the stored JSON without parsing every
   * object and read one page at a time when `next()` is called (all at the first page's
   * revision), so a full list of thousands of objects is never held whole. For plain JSON
   * list responses (not Table, not YAML). Errors of the request come from this call; `next()`
   * answers undefined at the end and throws if a later page can no longer be read
   * consistently.
   */
  listJsonPieces(
    ref: ResourceRef,
    options: ListOptions,
    ctx: RequestContext,
  ): Promise<{ next(): string | undefined }>;
  /** Closes the store (after pending writes are durable). */
  close(): Promise<void>;
}
