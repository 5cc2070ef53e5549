import { randomInt, randomUUID } from 'node:crypto';
import type { RevisionStore, WriteTx } from '../storage/revisionStore';
import {
  alreadyExists,
  badRequest,
  conflict,
  deleteSuccess,
  forbidden,
  invalidByResource,
  MODIFIED_CONFLICT,
  notFound,
  patchUndecodable,
  preconditionConflict,
  storageError,
  DecodeError,
} from './errors';
import { fieldOps } from './fieldOps';
import { isPlainObject, kubeTime, sameJson, without } from './json';
import { objectKey } from './keys';
import type { KindStrategy } from './kinds';
import { SERVED_RESOURCES, groupVersionOf } from './resources';
import { admitObject } from './validation/validateObject';
import { admitGatewayWrite } from '../auth/gatewayAdmission';
import { base64ErrorOffset } from './validation/coreRules';
import type {
  DeleteOptions,
  KubeObject,
  PatchType,
  RequestContext,
  ResourceDescriptor,
  ResourceRef,
  StatusJson,
} from './types';

/**
 * Every write with kube's semantics: names (generateName), uid, creationTimestamp,
 * generation, resourceVersion (optimistic concurrency), the status subresource, finalizers
 * and deletionTimestamp, dryRun, managedFields. Each write's checks run inside its store
 * transaction, so they see every write committed before it (no lost update between the
 * check and the write).
 */

/** kube's generateName alphabet (no vowels, no look-alike characters) and suffix length. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const NAME_SUFFIX = 5;

const NAMESPACES = SERVED_RESOURCES.find(r => r.resource === 'namespaces' && r.group === '')!;

type StoredWrite = { object: KubeObject; deleted: boolean };

export class ObjectWriter {
  constructor(
    private readonly store: RevisionStore,
    private readonly strategyOf: (r: ResourceDescriptor) => KindStrategy,
    private readonly now: () => Date,
  ) {}

  private transact<T>(ctx: RequestContext, run: (tx: WriteTx) => T): Promise<T> {
    if (ctx.dryRun) {
      try {
        return Promise.resolve(this.store.simulate(run));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.store.write(run);
  }

  create(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject> {
    const object = this.decode(ref, body);
    const rv = object.metadata.resourceVersion;
    if (rv !== undefined && rv !== '') {
      // kube's storage layer refuses it with a plain error: 500, no reason.
      throw storageError('resourceVersion should not be set on objects to be created');
    }
    return this.transact(ctx, tx => this.createInTx(tx, ref, object, ctx));
  }

  update(ref: ResourceRef, body: unknown, ctx: RequestContext): Promise<KubeObject> {
    const r = ref.resource;
    const incoming = this.decode(ref, body);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== ref.name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${ref.name})`,
      );
    }
    incoming.metadata.name = ref.name;
    return this.transact(ctx, tx => {
      const key = objectKey(r, ref.namespace, ref.name!);
      const stored = tx.get(key);
      if (!stored) {
        if (this.strategyOf(r).allowCreateOnUpdate && !ref.subresource) {
          return this.createInTx(tx, ref, incoming, ctx);
        }
        throw notFound(r, ref.name!);
      }
      const old = JSON.parse(stored.json) as KubeObject;
      return this.updateInTx(tx, ref, old, incoming, ctx).object;
    });
  }

  patch(
    ref: ResourceRef,
    type: PatchType,
    patch: unknown,
    options: { force?: boolean },
    ctx: RequestContext,
  ): Promise<KubeObject> {
    const r = ref.resource;
    const strategy = this.strategyOf(r);
    if (type === 'application/strategic-merge-patch+json' && strategy.custom) {
      throw fieldOps.strategicMergeUnsupported();
    }
    return this.transact(ctx, tx => {
      const key = objectKey(r, ref.namespace, ref.name!);
      const stored = tx.get(key);
      const live = stored ? (JSON.parse(stored.json) as KubeObject) : undefined;
      if (type === 'application/apply-patch+yaml') {
        const applied = fieldOps.serverSideApply(live, patch, {
          manager: ctx.fieldManager ?? '',
          force: options.force === true,
          subresource: ref.subresource,
          now: kubeTime(this.now()),
          apiVersion: groupVersionOf(r),
          resource: r,
        });
        const next = this.decode(ref, applied);
        if (!live) return this.createInTx(tx, ref, next, ctx, true);
        return this.updateInTx(tx, ref, live, next, ctx, true).object;
      }
      if (!live) throw notFound(r, ref.name!);
      let patched: unknown;
      if (type === 'application/json-patch+json') patched = fieldOps.applyJsonPatch(live, patch);
      else if (type === 'application/merge-patch+json')
        patched = fieldOps.applyMergePatch(live, patch);
      else patched = fieldOps.applyStrategicMergePatch(live, patch, r.kind);
      const next = this.decode(ref, patched);
      // A patch that does not set resourceVersion updates whatever is live (kube: the patch
      // is applied to the latest object, so only an explicit one is a precondition).
      next.metadata.resourceVersion ??= live.metadata.resourceVersion;
      if (next.metadata.name !== ref.name) {
        throw badRequest(
          `the name of the object (${next.metadata.name}) does not match the name on the URL (${ref.name})`,
        );
      }
      try {
        return this.updateInTx(tx, ref, live, next, ctx).object;
      } catch (error) {
        if (error instanceof DecodeError) throw patchUndecodable(patched, error.reason);
        throw error;
      }
    });
  }

  delete(
    ref: ResourceRef,
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<KubeObject | StatusJson> {
    return this.transact(ctx, tx => this.deleteInTx(tx, ref, ref.name!, options, ctx));
  }

  /** Deletes each named object of one collection, each as its own write in one transaction. */
  deleteEach(
    ref: ResourceRef,
    names: { namespace?: string; name: string }[],
    options: DeleteOptions,
    ctx: RequestContext,
  ): Promise<KubeObject[]> {
    return this.transact(ctx, tx => {
      const out: KubeObject[] = [];
      for (const n of names) {
        const one = { ...ref, namespace: n.namespace };
        out.push(this.deleteInTx(tx, one, n.name, options, ctx, true) as KubeObject);
      }
      return out;
    });
  }

  // --- inside a transaction -------------------------------------------------------------

  private createInTx(
    tx: WriteTx,
    ref: ResourceRef,
    object: KubeObject,
    ctx: RequestContext,
    applied = false,
  ): KubeObject {
    const r = ref.resource;
    const strategy = this.strategyOf(r);
    const now = kubeTime(this.now());
    const meta = object.metadata;
    for (const k of [
      'uid',
      'generation',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
      'resourceVersion',
    ]) {
      delete meta[k];
    }
    meta.creationTimestamp = now;
    meta.uid = randomUUID();
    if (strategy.tracksGeneration) meta.generation = 1;
    // Custom resources with a status subresource drop .status on create (kube's CR strategy).
    if (strategy.statusSubresource && strategy.custom && !applied) delete object.status;
    const generated =
      !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
    if (generated) meta.name = generateName(meta.generateName!);
    strategy.defaults(object);
    normalize(r, object);
    admitObject(strategy, object, undefined, ctx);
    admitGatewayWrite({ resource: r, operation: 'CREATE', object, user: ctx.user });
    if (!applied) {
      setManagedFields(
        object,
        fieldOps.managedFieldsAfterUpdate(undefined, object, {
          manager: this.manager(ctx),
          now,
          apiVersion: groupVersionOf(r),
          resource: r,
        }),
      );
    }
    strategy.prepareForCreate(object);
    this.checkNamespace(tx, ref, meta.name!);
    let key = objectKey(r, ref.namespace, meta.name!);
    // A generated name that happens to exist gets another suffix, as kube retries it.
    for (let attempt = 0; generated && tx.get(key) && attempt < 8; attempt++) {
      meta.name = generateName(meta.generateName!);
      key = objectKey(r, ref.namespace, meta.name);
    }
    if (tx.get(key)) throw alreadyExists(r, meta.name!);
    return this.put(tx, r, key, object);
  }

  private updateInTx(
    tx: WriteTx,
    ref: ResourceRef,
    old: KubeObject,
    incoming: KubeObject,
    ctx: RequestContext,
    applied = false,
  ): StoredWrite {
    const r = ref.resource;
    const strategy = this.strategyOf(r);
    const name = ref.name!;
    const rv = incoming.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (!strategy.allowUnconditionalUpdate && !applied) {
        throw invalidByResource(r, name, [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
            field: 'metadata.resourceVersion',
          },
        ]);
      }
    } else if (rv !== old.metadata.resourceVersion) {
      if (!/^[0-9]+$/.test(rv)) {
        throw badRequest(
          `metadata.resourceVersion: Invalid value: "${rv}": resourceVersion must be a number`,
        );
      }
      throw conflict(r, name, MODIFIED_CONFLICT);
    }
    if (
      incoming.metadata.uid !== undefined &&
      incoming.metadata.uid !== '' &&
      incoming.metadata.uid !== old.metadata.uid
    ) {
      throw conflict(
        r,
        name,
        `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }

    let next: KubeObject;
    if (ref.subresource === 'status') {
      // On /status only .status changes (and managedFields, which track that change).
      next = structuredClone(old);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
      // managedFields come with the request: they track this status change (kube's status
      // strategy keeps them; an Update recomputes them below, an apply has set them).
      if (incoming.metadata.managedFields !== undefined) {
        next.metadata.managedFields = incoming.metadata.managedFields;
      }
    } else {
      next = incoming;
      if (strategy.statusSubresource) {
        if (old.status === undefined) delete next.status;
        else next.status = structuredClone(old.status);
      }
      // System-owned metadata is kept from the stored object.
      const m = next.metadata;
      m.uid = old.metadata.uid;
      m.creationTimestamp = old.metadata.creationTimestamp;
      m.namespace = old.metadata.namespace;
      m.name = old.metadata.name;
      for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
        if (old.metadata[k] === undefined) delete m[k];
        else m[k] = old.metadata[k] as never;
      }
      delete m.selfLink;
      delete m.generateName;
      if (old.metadata.generateName !== undefined) m.generateName = old.metadata.generateName;
    }
    if (r.kind === 'Namespace' && r.group === '' && ref.subresource !== 'status') {
      // kube's namespace strategy: spec.finalizers change only through /finalize.
      next.spec = structuredClone(old.spec);
      next.status = structuredClone(old.status);
    }
    strategy.defaults(next);
    normalize(r, next);
    admitObject(strategy, next, old, ctx, ref.subresource === 'status');
    admitGatewayWrite({
      resource: r,
      subresource: ref.subresource,
      operation: 'UPDATE',
      object: next,
      old,
      user: ctx.user,
    });

    if (strategy.tracksGeneration && ref.subresource !== 'status') {
      const ignore = strategy.statusSubresource ? ['metadata', 'status'] : ['metadata'];
      const changed = !sameJson(without(next, ...ignore), without(old, ...ignore));
      next.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    const now = kubeTime(this.now());
    if (!applied) {
      setManagedFields(
        next,
        fieldOps.managedFieldsAfterUpdate(old, next, {
          manager: this.manager(ctx),
          subresource: ref.subresource,
          now,
          apiVersion: groupVersionOf(r),
          resource: r,
        }),
      );
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (sameJson(next, old)) return { object: old, deleted: false };

    const key = objectKey(r, ref.namespace, name);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      // The last finalizer of a deleting object is gone: the object goes (kube deletes it in
      // the same update; watchers see DELETED).
      // Watchers see DELETED with the object as stored (finalizers still listed), as kube's
      // storage reports a delete; the caller gets the object it asked for.
      this.remove(tx, r, key, structuredClone(old));
      return { object: this.strategyOf(r).canonical(next), deleted: true };
    }
    return { object: this.put(tx, r, key, next), deleted: false };
  }

  private deleteInTx(
    tx: WriteTx,
    ref: ResourceRef,
    name: string,
    options: DeleteOptions,
    ctx: RequestContext,
    inCollection = false,
  ): KubeObject | StatusJson {
    const r = ref.resource;
    const key = objectKey(r, ref.namespace, name);
    const stored = tx.get(key);
    if (!stored) throw notFound(r, name);
    const old = JSON.parse(stored.json) as KubeObject;
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw preconditionConflict(
        r,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (
      pre?.resourceVersion !== undefined &&
      pre.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw preconditionConflict(
        r,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    const finalizers = old.metadata.finalizers ?? [];
    const isNamespace = r.kind === 'Namespace' && r.group === '';
    if (finalizers.length > 0 || isNamespace) {
      if (old.metadata.deletionTimestamp) return old; // already deleting: nothing changes
      const next = structuredClone(old);
      next.metadata.deletionTimestamp = kubeTime(this.now());
      // Finalizer-held objects get a zero grace period; a namespace none (kube's strategies).
      if (!isNamespace) next.metadata.deletionGracePeriodSeconds = 0;
      if (this.strategyOf(r).tracksGeneration)
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
      if (isNamespace) {
        // No namespace controller runs here (nor in a bare kube-apiserver): the namespace
        // stays Terminating, as kube-apiserver leaves it.
        next.status = { ...(next.status as object), phase: 'Terminating' };
      }
      return this.put(tx, r, key, next);
    }
    const final = this.remove(tx, r, key, structuredClone(old));
    return inCollection ? final : deleteSuccess(r, name, old.metadata.uid);
  }

  // --- helpers ----------------------------------------------------------------------------

  /** Stores `object` (in kube's key order) and gives it the write's resourceVersion. */
  private put(tx: WriteTx, r: ResourceDescriptor, key: string, object: KubeObject): KubeObject {
    // The key exists before ordering so that it lands in its place among the others.
    object.metadata.resourceVersion ??= '';
    const canonical = this.strategyOf(r).canonical(object);
    tx.put(key, rev => {
      // dryRun: kube answers with no new resourceVersion (none at all for a create).
      if (!tx.simulated) canonical.metadata.resourceVersion = String(rev);
      if (canonical.metadata.resourceVersion === '') delete canonical.metadata.resourceVersion;
      return JSON.stringify(canonical);
    });
    return canonical;
  }

  /** Deletes `key`; `object` (its last state) goes to watchers with the delete's resourceVersion. */
  private remove(tx: WriteTx, r: ResourceDescriptor, key: string, object: KubeObject): KubeObject {
    const canonical = this.strategyOf(r).canonical(object);
    tx.remove(key, rev => {
      if (!tx.simulated) canonical.metadata.resourceVersion = String(rev);
      return JSON.stringify(canonical);
    });
    return canonical;
  }

  private manager(ctx: RequestContext): string {
    return ctx.fieldManager ?? fieldOps.defaultFieldManager(ctx.userAgent);
  }

  /** Namespaced objects need their namespace to exist and not be terminating (NamespaceLifecycle). */
  private checkNamespace(tx: WriteTx, ref: ResourceRef, name: string): void {
    if (!ref.resource.namespaced) return;
    const ns = ref.namespace ?? '';
    const stored = tx.get(objectKey(NAMESPACES, undefined, ns));
    if (!stored) throw notFound(NAMESPACES, ns);
    const namespace = JSON.parse(stored.json) as KubeObject;
    if (namespace.metadata.deletionTimestamp) {
      const error = forbidden(
        ref.resource,
        name,
        `${ref.resource.group ? `${ref.resource.resource}.${ref.resource.group}` : ref.resource.resource} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
      );
      error.status.details!.causes = [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${ns} is being terminated`,
          field: 'metadata.namespace',
        },
      ];
      throw error;
    }
  }

  /** The body as an object of this resource: apiVersion/kind checked, metadata an object. */
  private decode(ref: ResourceRef, body: unknown): KubeObject {
    const r = ref.resource;
    if (!isPlainObject(body)) throw badRequest('the body of the request was not a JSON object');
    // A shallow copy: only the top level and metadata are changed here, and the walker builds
    // new objects for every known field. No deep copy of what the client sent, so even an
    // absurdly deep unknown field is simply pruned, never recursed into.
    const object = { ...body } as KubeObject;
    if (isPlainObject(body.metadata)) object.metadata = { ...body.metadata };
    const gv = groupVersionOf(r);
    if (object.apiVersion !== undefined && object.apiVersion !== gv) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${gv})`,
      );
    }
    if (object.kind !== undefined && object.kind !== r.kind) {
      throw badRequest(
        `the kind in the data (${String(object.kind)}) does not match the expected kind (${r.kind})`,
      );
    }
    object.apiVersion = gv;
    object.kind = r.kind;
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    if (!isPlainObject(object.metadata)) throw badRequest('metadata must be an object');
    if (r.namespaced) {
      if (
        object.metadata.namespace !== undefined &&
        object.metadata.namespace !== '' &&
        object.metadata.namespace !== ref.namespace
      ) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      object.metadata.namespace = ref.namespace;
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }
}

function setManagedFields(
  object: KubeObject,
  entries: KubeObject['metadata']['managedFields'],
): void {
  if (entries === undefined || entries.length === 0) delete object.metadata.managedFields;
  else object.metadata.managedFields = entries;
}

function generateName(base: string): string {
  // kube trims the base so the result stays within 63 characters.
  const prefix = base.length > 63 - NAME_SUFFIX ? base.slice(0, 63 - NAME_SUFFIX) : base;
  let suffix = '';
  for (let i = 0; i < NAME_SUFFIX; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return prefix + suffix;
}

/**
 * What kube does while decoding a core object: byte fields must be base64 (else 400, before
 * any validation), and a Secret's stringData folds into data.
 */
function normalize(resource: ResourceDescriptor, object: KubeObject): void {
  if (object.apiVersion === 'v1' && (object.kind === 'Secret' || object.kind === 'ConfigMap')) {
    const field = object.kind === 'Secret' ? 'data' : 'binaryData';
    const bytes = object[field];
    if (isPlainObject(bytes)) {
      for (const value of Object.values(bytes)) {
        const at = typeof value === 'string' ? base64ErrorOffset(value) : undefined;
        if (at !== undefined)
          throw new DecodeError(resource, `illegal base64 data at input byte ${at}`);
      }
    }
  }
  if (object.kind === 'Secret' && object.apiVersion === 'v1' && isPlainObject(object.stringData)) {
    const data = (isPlainObject(object.data) ? object.data : {}) as Record<string, string>;
    for (const [k, v] of Object.entries(object.stringData)) {
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
    object.data = data;
    delete object.stringData;
  }
}
