import type { FieldNode } from './fieldSchema';

/**
 * Field schemas of the core kinds served here, written from their Go types in k8s.io/api
 * (list types and map/struct atomicity as their `+listType`, `+listMapKey`, `+structType`
 * markers declare them), and ObjectMeta's.
 */

const scalar: FieldNode = { type: 'scalar' };
const stringMap: FieldNode = { type: 'map', element: scalar };
const struct = (fields: Record<string, FieldNode>, atomic = false): FieldNode =>
  atomic ? { type: 'struct', fields, atomic } : { type: 'struct', fields };
const scalars = (...names: string[]) => Object.fromEntries(names.map(n => [n, scalar]));

/**
 * The fields core/v1 Event serialises even when empty (its Go type has no omitempty on
 * them): every stored Event carries them, and a new Event starts from them.
 */
export const EVENT_ZERO_FIELDS = {
  source: {},
  firstTimestamp: null,
  lastTimestamp: null,
  eventTime: null,
  reportingComponent: '',
  reportingInstance: '',
} as const;

export const OBJECT_META: FieldNode = struct({
  ...scalars(
    'name',
    'generateName',
    'namespace',
    'selfLink',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
  ),
  labels: stringMap,
  annotations: stringMap,
  // OwnerReference is `+structType=atomic`: an owner entry is owned whole.
  ownerReferences: {
    type: 'list',
    listType: 'map',
    keys: ['uid'],
    element: struct(
      scalars('apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion'),
      true,
    ),
  },
  finalizers: { type: 'list', listType: 'set', element: scalar },
  managedFields: { type: 'list', listType: 'atomic', element: { type: 'untyped' } },
});

const OBJECT_REFERENCE = struct(
  scalars('kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'),
  true,
);

const typeMeta = scalars('apiVersion', 'kind');

interface CoreFieldSchema {
  root: FieldNode;
  emptyObject: Record<string, unknown>;
}

/** `emptyObject`: the Go zero value as JSON (non-omitempty structs and null times included). */
export const CORE_FIELD_SCHEMAS: Record<string, CoreFieldSchema> = {
  Namespace: {
    root: struct({
      ...typeMeta,
      metadata: OBJECT_META,
      spec: struct({ finalizers: { type: 'list', listType: 'atomic', element: scalar } }),
      status: struct({
        phase: scalar,
        conditions: {
          type: 'list',
          listType: 'map',
          keys: ['type'],
          element: struct(scalars('type', 'status', 'lastTransitionTime', 'reason', 'message')),
        },
      }),
    }),
    emptyObject: { metadata: { creationTimestamp: null }, spec: {}, status: {} },
  },
  Secret: {
    root: struct({
      ...typeMeta,
      metadata: OBJECT_META,
      data: stringMap,
      stringData: stringMap,
      type: scalar,
      immutable: scalar,
    }),
    emptyObject: { metadata: { creationTimestamp: null } },
  },
  ConfigMap: {
    root: struct({
      ...typeMeta,
      metadata: OBJECT_META,
      data: stringMap,
      binaryData: stringMap,
      immutable: scalar,
    }),
    emptyObject: { metadata: { creationTimestamp: null } },
  },
  Event: {
    root: struct({
      ...typeMeta,
      metadata: OBJECT_META,
      involvedObject: OBJECT_REFERENCE,
      related: OBJECT_REFERENCE,
      source: struct(scalars('component', 'host')),
      series: struct(scalars('count', 'lastObservedTime')),
      ...scalars(
        'reason',
        'message',
        'firstTimestamp',
        'lastTimestamp',
        'count',
        'type',
        'eventTime',
        'action',
        'reportingComponent',
        'reportingInstance',
      ),
    }),
    emptyObject: {
      metadata: { creationTimestamp: null },
      involvedObject: {},
      ...EVENT_ZERO_FIELDS,
    },
  },
  Lease: {
    root: struct({
      ...typeMeta,
      metadata: OBJECT_META,
      spec: struct(
        scalars(
          'holderIdentity',
          'leaseDurationSeconds',
          'acquireTime',
          'renewTime',
          'leaseTransitions',
          'strategy',
          'preferredHolder',
        ),
      ),
    }),
    emptyObject: { metadata: { creationTimestamp: null }, spec: {} },
  },
};
