import type { ResourceDescriptor } from '../registry/types';
import { META, type Schema } from './metaSchemas';

/**
 * The `paths` of an OpenAPI v3 group-version document: one path per URL shape, each
 * operation tagged with its kind (x-kubernetes-group-version-kind) and action as
 * kube-apiserver tags them. kubectl relies on them: `explain` finds a resource's kind
 * through the paths, and `apply`/`create` look for the `fieldValidation` parameter on the
 * PATCH operation to know the server validates fields itself.
 */

interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: Schema & { uniqueItems?: boolean };
}

const query = (
  name: string,
  description: string,
  type: 'string' | 'boolean' | 'integer' = 'string',
): Parameter => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  dryRun: query(
    'dryRun',
    'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: query(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  fieldValidation: query(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (default) - Strict',
  ),
  force: query(
    'force',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.',
    'boolean',
  ),
  pretty: query('pretty', "If 'true', then the output is pretty printed."),
  labelSelector: query(
    'labelSelector',
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  ),
  fieldSelector: query(
    'fieldSelector',
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  ),
  limit: query(
    'limit',
    'limit is a maximum number of responses to return for a list call.',
    'integer',
  ),
  continue: query(
    'continue',
    'The continue option should be set when retrieving more results from the server.',
  ),
  resourceVersion: query(
    'resourceVersion',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  resourceVersionMatch: query(
    'resourceVersionMatch',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  watch: query(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
    'boolean',
  ),
  allowWatchBookmarks: query(
    'allowWatchBookmarks',
    'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    'boolean',
  ),
  sendInitialEvents: query(
    'sendInitialEvents',
    '`sendInitialEvents=true` may be set together with `watch=true`.',
    'boolean',
  ),
  timeoutSeconds: query('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  gracePeriodSeconds: query(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted.',
    'integer',
  ),
  propagationPolicy: query(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  ),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];

const pathParam = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  description,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});

const json = (schemaName: string) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } },
  'application/yaml': { schema: { $ref: `#/components/schemas/${schemaName}` } },
});

function tagOf(r: ResourceDescriptor): string {
  if (r.group === '') return 'core_v1';
  const group = r.group
    .replace(/\.k8s\.io$/, '')
    .replace(/\.([a-z])/g, (_, c: string) => c.toUpperCase());
  return `${group.charAt(0) + group.slice(1)}_${r.version}`;
}

function idPart(r: ResourceDescriptor): string {
  const tag = tagOf(r).replace('_', '');
  return tag.charAt(0).toUpperCase() + tag.slice(1);
}

export function pathsFor(
  resources: ResourceDescriptor[],
  definitionName: (r: { group: string; version: string; kind: string }) => string,
) {
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const kindRef = definitionName(r);
    const listRef = definitionName({ ...r, kind: r.listKind });
    const scope = r.namespaced ? 'Namespaced' : '';
    const tags = [tagOf(r)];
    const op = (
      action: string,
      verbWord: string,
      description: string,
      extra: Record<string, unknown>,
      suffix = '',
    ) => ({
      tags,
      description,
      operationId: `${verbWord}${idPart(r)}${scope}${r.kind}${suffix}`,
      ...extra,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    const ok = (ref: string, code = '200') => ({
      [code]: { description: code === '201' ? 'Created' : 'OK', content: json(ref) },
    });
    const collection = r.namespaced
      ? `${prefix}/namespaces/{namespace}/${r.resource}`
      : `${prefix}/${r.resource}`;
    const common = [
      ...(r.namespaced
        ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')]
        : []),
      P.pretty,
    ];
    paths[collection] = {
      get: op('list', 'list', `list or watch objects of kind ${r.kind}`, {
        parameters: LIST_PARAMS,
        responses: ok(listRef),
      }),
      post: op('post', 'create', `create a ${r.kind}`, {
        parameters: WRITE_PARAMS,
        requestBody: { content: json(kindRef), required: true },
        responses: { ...ok(kindRef), ...ok(kindRef, '201') },
      }),
      delete: op('deletecollection', 'deleteCollection', `delete collection of ${r.kind}`, {
        parameters: [
          ...LIST_PARAMS.filter(p => p.name !== 'watch'),
          P.dryRun,
          P.gracePeriodSeconds,
          P.propagationPolicy,
        ],
        responses: ok(`${META}.Status`),
      }),
      parameters: common,
    };
    if (r.namespaced) {
      paths[`${prefix}/${r.resource}`] = {
        get: op('list', 'list', `list or watch objects of kind ${r.kind}`, {
          parameters: LIST_PARAMS,
          responses: ok(listRef),
        }),
        parameters: [P.pretty],
      };
    }
    const item = [pathParam('name', `name of the ${r.kind}`), ...common];
    const patchBody = {
      content: Object.fromEntries(
        [
          'application/apply-patch+yaml',
          'application/json-patch+json',
          'application/merge-patch+json',
          ...(r.group === 'wasmbed.io' ? [] : ['application/strategic-merge-patch+json']),
        ].map(t => [t, { schema: { $ref: `#/components/schemas/${META}.Patch` } }]),
      ),
      required: true,
    };
    const itemOps = (suffix: string, what: string, withDelete: boolean) => ({
      get: op(
        'get',
        'read',
        `read ${what} of the specified ${r.kind}`,
        { responses: ok(kindRef) },
        suffix,
      ),
      put: op(
        'put',
        'replace',
        `replace ${what} of the specified ${r.kind}`,
        {
          parameters: WRITE_PARAMS,
          requestBody: { content: json(kindRef), required: true },
          responses: { ...ok(kindRef), ...ok(kindRef, '201') },
        },
        suffix,
      ),
      patch: op(
        'patch',
        'patch',
        `partially update ${what} of the specified ${r.kind}`,
        {
          parameters: [...WRITE_PARAMS, P.force],
          requestBody: patchBody,
          responses: { ...ok(kindRef), ...ok(kindRef, '201') },
        },
        suffix,
      ),
      ...(withDelete
        ? {
            delete: op('delete', 'delete', `delete a ${r.kind}`, {
              parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
              responses: { ...ok(`${META}.Status`), ...ok(`${META}.Status`, '202') },
            }),
          }
        : {}),
      parameters: item,
    });
    paths[`${collection}/{name}`] = itemOps('', 'the', true);
    if (r.subresources.includes('status'))
      paths[`${collection}/{name}/status`] = itemOps('Status', 'status', false);
  }
  return paths;
}
