import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ApiError,
  type KubeObject,
  type ListJson,
  type Registry,
  type RequestContext,
  type ResourceRef,
  type UserInfo,
} from '../registry/types';
import { negotiateResource, ACCEPTED_OUTPUT_TYPES, type ResourceOutput } from './negotiation';
import {
  deleteOptionsOf,
  dryRunOf,
  fieldManagerOf,
  fieldValidationOf,
  invalidOptions,
  listOptionsOf,
  Query,
  watchOptionsOf,
} from './query';
import {
  bodyDryRun,
  readObjectBody,
  readOptionalDeleteBody,
  readPatchBody,
  writeDecoded,
} from './requestBodies';
import { send, sendJsonPieces, setWarnings } from './respond';
import type { ResourceTarget } from './routes';
import { badRequest, failure, methodNotSupported, notAcceptable } from './status';
import {
  convertedListMeta,
  partialObjectMetadata,
  tableOfList,
  tableOfObject,
  type IncludeObject,
} from './table';
import { serveWatch, type WatchGate } from './watch';

/** The RBAC verb of a request on a resource (kube's RequestInfo rules). */
export function verbOf(
  method: string,
  target: { name?: string; watchPrefix: boolean },
  query: Query,
): string | undefined {
  const collection = target.name === undefined;
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (target.watchPrefix || query.watchRequested()) return 'watch';
      return collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      return undefined;
  }
}

export interface ResourceRequestDeps {
  registry: Registry;
  watches: WatchGate;
  now: () => Date;
  maxBodyBytes: number;
}

function isCustomResource(target: ResourceTarget): boolean {
  const g = target.resource.group;
  return g !== '' && !g.endsWith('.k8s.io');
}

function refOf(target: ResourceTarget): ResourceRef {
  return {
    resource: target.resource,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...(target.name !== undefined ? { name: target.name } : {}),
    ...(target.subresource === 'status' ? { subresource: 'status' as const } : {}),
  };
}

function includeObjectOf(q: Query): IncludeObject {
  const v = q.string('includeObject');
  if (v === undefined || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw badRequest(`unrecognized includeObject value: "${v}"`);
}

/** Serves a get/list result in the negotiated form (object, Table or PartialObjectMetadata). */
function presentRead(
  res: ServerResponse,
  target: ResourceTarget,
  output: ResourceOutput,
  result:
    | KubeObject
    | { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KubeObject[] },
  q: Query,
  deps: ResourceRequestDeps,
): void {
  const isList = 'items' in result && Array.isArray(result.items) && target.name === undefined;
  if (output.kind === 'table') {
    const options = {
      include: includeObjectOf(q),
      noHeaders: false,
      version: output.version,
      now: deps.now(),
    };
    const table = isList
      ? tableOfList(target.resource, result as never, options)
      : tableOfObject(target.resource, result as KubeObject, options);
    return send(res, 200, table);
  }
  if (output.kind === 'partial') {
    if (!isList) return send(res, 200, partialObjectMetadata(result as KubeObject, output.version));
    const list = result as ListJson;
    return send(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${output.version}`,
      metadata: convertedListMeta(list.metadata),
      items: list.items.map(i => partialObjectMetadata(i, output.version)),
    });
  }
  send(res, 200, result, { encoding: output.encoding });
}

/** Handles one request on a resource or a collection, after authentication and authorisation. */
export async function serveResourceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  verb: string,
  user: UserInfo,
  q: Query,
  deps: ResourceRequestDeps,
): Promise<void> {
  const output = negotiateResource(req.headers.accept);
  if (!output) throw notAcceptable(ACCEPTED_OUTPUT_TYPES);
  const encoding = output.kind === 'object' ? output.encoding : 'json';
  if (target.subresource !== undefined && target.subresource !== 'status') {
    throw methodNotSupported();
  }
  const ref = refOf(target);
  const optionsKind =
    { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' }[verb] ??
    'DeleteOptions';
  const writing = ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(verb);
  const ctx: RequestContext = {
    user,
    dryRun: writing ? dryRunOf(q, optionsKind) : false,
    fieldValidation:
      writing && verb !== 'delete' && verb !== 'deletecollection'
        ? fieldValidationOf(q, optionsKind)
        : 'Warn',
    warnings: [],
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
  };
  if (writing) {
    const manager = fieldManagerOf(q, optionsKind);
    if (manager !== undefined) ctx.fieldManager = manager;
  }
  const collectionOnly = (allowed: boolean) => {
    if (!allowed) throw methodNotSupported();
  };
  // PUT and PATCH address one object: kube refuses them on a collection before anything else.
  if ((verb === 'update' || verb === 'patch') && target.name === undefined) {
    throw badRequest('name must be provided');
  }
  // A namespaced resource addressed without a namespace is its list across namespaces: read-only.
  const allNamespaces = target.resource.namespaced && target.namespace === undefined;
  if (allNamespaces) collectionOnly(verb === 'list' || verb === 'watch');
  if (target.subresource !== undefined && isCustomResource(target)) {
    // The status handler of a custom resource serves get (a watch too, as a get), update
    // and patch, and names the kind when it refuses.
    if (verb === 'watch') verb = 'get';
    if (verb !== 'get' && verb !== 'update' && verb !== 'patch') {
      const r = target.resource;
      throw new ApiError(
        failure(
          405,
          'MethodNotAllowed',
          `${verb} is not supported on resources of kind "${r.resource}.${r.group}"`,
          {
            group: r.group,
            kind: r.resource,
          },
        ),
      );
    }
  }
  if (target.subresource !== undefined)
    collectionOnly(verb === 'get' || verb === 'update' || verb === 'patch');

  switch (verb) {
    case 'get': {
      const obj = await deps.registry.get(ref, ctx);
      setWarnings(res, ctx.warnings);
      return presentRead(res, target, output, obj, q, deps);
    }
    case 'list': {
      // watch=maybe: kube routes it as a list (authorised as one) but its options say watch.
      if (q.bool('watch')) {
        const { name: _n, ...collection } = ref;
        return serveWatch(
          res,
          deps.registry,
          collection,
          watchOptionsOf(q),
          ctx,
          output,
          deps.watches,
          deps.now,
        );
      }
      if (output.kind === 'object' && output.encoding === 'json') {
        // A plain JSON list is copied from the stored JSON rows without parsing each object,
        // a page at a time as the socket takes it: a full list of thousands of objects never
        // sits in memory whole.
        const pieces = await deps.registry.listJsonPieces(ref, listOptionsOf(q), ctx);
        setWarnings(res, ctx.warnings);
        return sendJsonPieces(res, 200, pieces);
      }
      const list = await deps.registry.list(ref, listOptionsOf(q), ctx);
      setWarnings(res, ctx.warnings);
      return presentRead(res, target, output, list, q, deps);
    }
    case 'watch': {
      const options = watchOptionsOf(q);
      if (target.name !== undefined) {
        // GET .../NAME?watch=1: a watch of one object, as a field selector on its name.
        const byName = `metadata.name=${target.name}`;
        options.fieldSelector = options.fieldSelector
          ? `${options.fieldSelector},${byName}`
          : byName;
      }
      const { name: _name, ...collectionRef } = ref;
      return serveWatch(
        res,
        deps.registry,
        collectionRef,
        options,
        ctx,
        output,
        deps.watches,
        deps.now,
      );
    }
    case 'create': {
      // POST to a named path creates a custom resource (kube's apiextensions server allows
      // it); built-in kinds refuse it.
      collectionOnly(target.name === undefined || target.resource.group === 'wasmbed.io');
      const body = await readObjectBody(req, target, 'POST', deps);
      const created = await writeDecoded(body, target, ctx, (o, c) =>
        deps.registry.create(ref, o, c),
      );
      setWarnings(res, ctx.warnings);
      return send(res, 201, created, { encoding });
    }
    case 'update': {
      const body = await readObjectBody(req, target, 'PUT', deps);
      const updated = await writeDecoded(body, target, ctx, (o, c) =>
        deps.registry.update(ref, o, c),
      );
      setWarnings(res, ctx.warnings);
      return send(res, 200, updated, { encoding });
    }
    case 'patch': {
      const { type, patch } = await readPatchBody(req, target, deps);
      const force = q.bool('force');
      if (force !== undefined && type !== 'application/apply-patch+yaml') {
        throw invalidOptions('PatchOptions', [
          {
            reason: 'FieldValueForbidden',
            field: 'force',
            message: 'Forbidden: may not be specified for non-apply patch',
          },
        ]);
      }
      if (type === 'application/apply-patch+yaml' && ctx.fieldManager === undefined) {
        throw invalidOptions('PatchOptions', [
          {
            reason: 'FieldValueRequired',
            field: 'fieldManager',
            message: 'Required value: is required for apply patch',
          },
        ]);
      }
      // Server-side apply may create; kube answers 201 then. Whether it existed is read first.
      const existed =
        type === 'application/apply-patch+yaml' && target.subresource === undefined
          ? await deps.registry.get(ref, ctx).then(
              () => true,
              (e: unknown) => (e instanceof ApiError && e.code === 404 ? false : true),
            )
          : true;
      const patched = await deps.registry.patch(ref, type, patch, force ? { force } : {}, ctx);
      setWarnings(res, ctx.warnings);
      return send(res, existed ? 200 : 201, patched, { encoding });
    }
    case 'delete': {
      const body = await readOptionalDeleteBody(req, deps);
      if (bodyDryRun(body)) ctx.dryRun = true;
      const result = await deps.registry.delete(ref, deleteOptionsOf(q, body), ctx);
      setWarnings(res, ctx.warnings);
      // 200 whether deleted at once (a Status) or held by finalizers (the object), as kube
      // answers for these kinds (no graceful deletion, so never 202).
      return send(res, 200, result, { encoding });
    }
    case 'deletecollection': {
      const body = await readOptionalDeleteBody(req, deps);
      if (bodyDryRun(body)) ctx.dryRun = true;
      const list = await deps.registry.deleteCollection(
        ref,
        listOptionsOf(q),
        deleteOptionsOf(q, body),
        ctx,
      );
      setWarnings(res, ctx.warnings);
      return send(res, 200, list, { encoding });
    }
    default:
      throw methodNotSupported();
  }
}
