import type { JSONSchemaProps } from '@wasmbed/plugin-wasmbed-common';

/**
 * Hand-written OpenAPI schemas for the apimachinery meta types and the five core kinds this
 * server serves. They are a deliberate subset of kube-apiserver's (the fields Wasmbed and
 * kubectl use, with kube's descriptions shortened); the wasmbed.io kinds, by contrast, are
 * generated from the same zod schemas as their CRDs.
 */

export type Schema = JSONSchemaProps & {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  'x-kubernetes-group-version-kind'?: { group: string; kind: string; version: string }[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
};

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** kube wraps a $ref with siblings (description, default) in allOf, as OpenAPI 3.0 requires. */
export const refWith = (name: string, extra: Schema): Schema => ({ allOf: [ref(name)], ...extra });

const str = (description: string): Schema => ({ type: 'string', description });
const strMap = (description: string): Schema => ({
  type: 'object',
  additionalProperties: { type: 'string', default: '' },
  description,
});

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
export const LIST_METADATA_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** apiVersion, kind and metadata, as every kind's schema starts. */
export function typeMetaProperties(list = false): Record<string, Schema> {
  return {
    apiVersion: str(API_VERSION_DESCRIPTION),
    kind: str(KIND_DESCRIPTION),
    metadata: list
      ? refWith(`${META}.ListMeta`, { default: {}, description: LIST_METADATA_DESCRIPTION })
      : refWith(`${META}.ObjectMeta`, { default: {}, description: METADATA_DESCRIPTION }),
  };
}

const gvk = (group: string, version: string, kind: string) => [{ group, kind, version }];

export const META_SCHEMAS: Record<string, Schema> = {
  [`${META}.Time`]: {
    type: 'string',
    format: 'date-time',
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.',
  },
  [`${META}.MicroTime`]: {
    type: 'string',
    format: 'date-time',
    description: 'MicroTime is version of Time with microsecond level precision.',
  },
  [`${META}.FieldsV1`]: {
    type: 'object',
    description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.',
  },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    description:
      'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
    properties: {
      apiVersion: str(
        'APIVersion defines the version of this resource that this field set applies to.',
      ),
      fieldsType: str(
        'FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"',
      ),
      fieldsV1: refWith(`${META}.FieldsV1`, {
        description:
          'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.',
      }),
      manager: str('Manager is an identifier of the workflow managing these fields.'),
      operation: str(
        "Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'.",
      ),
      subresource: str(
        'Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.',
      ),
      time: refWith(`${META}.Time`, {
        description: 'Time is the timestamp of when the ManagedFields entry was added.',
      }),
    },
  },
  [`${META}.OwnerReference`]: {
    type: 'object',
    description: 'OwnerReference contains enough information to let you identify an owning object.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: str('API version of the referent.'),
      blockOwnerDeletion: {
        type: 'boolean',
        description:
          'If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.',
      },
      controller: {
        type: 'boolean',
        description: 'If true, this reference points to the managing controller.',
      },
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      uid: str('UID of the referent.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.ObjectMeta`]: {
    type: 'object',
    description:
      'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    properties: {
      annotations: strMap(
        'Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.',
      ),
      creationTimestamp: refWith(`${META}.Time`, {
        description:
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
      }),
      deletionGracePeriodSeconds: {
        type: 'integer',
        format: 'int64',
        description:
          'Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.',
      },
      deletionTimestamp: refWith(`${META}.Time`, {
        description:
          'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.',
      }),
      finalizers: {
        type: 'array',
        items: { type: 'string', default: '' },
        description: 'Must be empty before the object is deleted from the registry.',
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      },
      generateName: str(
        'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.',
      ),
      generation: {
        type: 'integer',
        format: 'int64',
        description: 'A sequence number representing a specific generation of the desired state.',
      },
      labels: strMap(
        'Map of string keys and values that can be used to organize and categorize (scope and select) objects.',
      ),
      managedFields: {
        type: 'array',
        items: refWith(`${META}.ManagedFieldsEntry`, { default: {} }),
        description:
          'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
        'x-kubernetes-list-type': 'atomic',
      },
      name: str('Name must be unique within a namespace.'),
      namespace: str('Namespace defines the space within which each name must be unique.'),
      ownerReferences: {
        type: 'array',
        items: refWith(`${META}.OwnerReference`, { default: {} }),
        description: 'List of objects depended by this object.',
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: str('An opaque value that represents the internal version of this object.'),
      selfLink: str(
        'Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.',
      ),
      uid: str('UID is the unique in time and space value for this object.'),
    },
  },
  [`${META}.ListMeta`]: {
    type: 'object',
    description:
      'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
    properties: {
      continue: str('continue may be set if the user set a limit on the number of items returned.'),
      remainingItemCount: {
        type: 'integer',
        format: 'int64',
        description:
          'remainingItemCount is the number of subsequent items in the list which are not included in this list response.',
      },
      resourceVersion: str("String that identifies the server's internal version of this object."),
      selfLink: str(
        'Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.',
      ),
    },
  },
  [`${META}.Patch`]: {
    type: 'object',
    description:
      'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
  [`${META}.Status`]: {
    type: 'object',
    description: "Status is a return value for calls that don't return other objects.",
    properties: {
      ...typeMetaProperties(true),
      code: {
        type: 'integer',
        format: 'int32',
        description: 'Suggested HTTP return code for this status, 0 if not set.',
      },
      details: {
        type: 'object',
        description: 'Extended data associated with the reason.',
        'x-kubernetes-preserve-unknown-fields': true,
      } as Schema,
      message: str('A human-readable description of the status of this operation.'),
      reason: str(
        'A machine-readable description of why this operation is in the "Failure" status.',
      ),
      status: str('Status of the operation. One of: "Success" or "Failure".'),
    },
    'x-kubernetes-group-version-kind': gvk('', 'v1', 'Status'),
  },
};

const objectOf = (
  group: string,
  version: string,
  kind: string,
  description: string,
  properties: Record<string, Schema>,
  required?: string[],
): Schema => ({
  type: 'object',
  description,
  properties: { ...typeMetaProperties(), ...properties },
  ...(required ? { required } : {}),
  'x-kubernetes-group-version-kind': gvk(group, version, kind),
});

export const CORE = 'io.k8s.api.core.v1';
export const COORDINATION = 'io.k8s.api.coordination.v1';

export const CORE_SCHEMAS: Record<string, Schema> = {
  [`${CORE}.ConfigMap`]: objectOf(
    '',
    'v1',
    'ConfigMap',
    'ConfigMap holds configuration data for pods to consume.',
    {
      binaryData: {
        type: 'object',
        additionalProperties: { type: 'string', format: 'byte' },
        description: 'BinaryData contains the binary data.',
      },
      data: strMap('Data contains the configuration data.'),
      immutable: {
        type: 'boolean',
        description:
          'Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated.',
      },
    },
  ),
  [`${CORE}.Secret`]: objectOf(
    '',
    'v1',
    'Secret',
    'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
    {
      data: {
        type: 'object',
        additionalProperties: { type: 'string', format: 'byte' },
        description: 'Data contains the secret data.',
      },
      immutable: {
        type: 'boolean',
        description:
          'Immutable, if set to true, ensures that data stored in the Secret cannot be updated.',
      },
      stringData: strMap('stringData allows specifying non-binary secret data in string form.'),
      type: str('Used to facilitate programmatic handling of secret data.'),
    },
  ),
  [`${CORE}.Namespace`]: objectOf(
    '',
    'v1',
    'Namespace',
    'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
    {
      spec: {
        type: 'object',
        description: 'Spec defines the behavior of the Namespace.',
        properties: {
          finalizers: {
            type: 'array',
            items: { type: 'string', default: '' },
            'x-kubernetes-list-type': 'atomic',
            description:
              'Finalizers is an opaque list of values that must be empty to permanently remove object from storage.',
          },
        },
      },
      status: {
        type: 'object',
        description: 'Status describes the current status of a Namespace.',
        properties: { phase: str('Phase is the current lifecycle phase of the namespace.') },
      },
    },
  ),
  [`${CORE}.ObjectReference`]: {
    type: 'object',
    description:
      'ObjectReference contains enough information to let you inspect or modify the referred object.',
    properties: {
      apiVersion: str('API version of the referent.'),
      fieldPath: str(
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      ),
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      namespace: str('Namespace of the referent.'),
      resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
      uid: str('UID of the referent.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${CORE}.Event`]: objectOf(
    '',
    'v1',
    'Event',
    'Event is a report of an event somewhere in the cluster.',
    {
      action: str('What action was taken/failed regarding to the Regarding object.'),
      count: {
        type: 'integer',
        format: 'int32',
        description: 'The number of times this event has occurred.',
      },
      eventTime: refWith(`${META}.MicroTime`, {
        description: 'Time when this Event was first observed.',
      }),
      firstTimestamp: refWith(`${META}.Time`, {
        description: 'The time at which the event was first recorded.',
      }),
      involvedObject: refWith(`${CORE}.ObjectReference`, {
        default: {},
        description: 'The object that this event is about.',
      }),
      lastTimestamp: refWith(`${META}.Time`, {
        description: 'The time at which the most recent occurrence of this event was recorded.',
      }),
      message: str('A human-readable description of the status of this operation.'),
      reason: str(
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      reportingComponent: str('Name of the controller that emitted this Event.'),
      reportingInstance: str('ID of the controller instance.'),
      source: {
        type: 'object',
        description: 'The component reporting this event.',
        properties: {
          component: str('Component from which the event is generated.'),
          host: str('Node name on which the event is generated.'),
        },
      },
      type: str('Type of this event (Normal, Warning), new types could be added in the future'),
    },
    ['metadata', 'involvedObject'],
  ),
  [`${COORDINATION}.Lease`]: objectOf(
    'coordination.k8s.io',
    'v1',
    'Lease',
    'Lease defines a lease concept.',
    {
      spec: {
        type: 'object',
        description: 'spec contains the specification of the Lease.',
        properties: {
          acquireTime: refWith(`${META}.MicroTime`, {
            description: 'acquireTime is a time when the current lease was acquired.',
          }),
          holderIdentity: str(
            'holderIdentity contains the identity of the holder of a current lease.',
          ),
          leaseDurationSeconds: {
            type: 'integer',
            format: 'int32',
            description:
              'leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it.',
          },
          leaseTransitions: {
            type: 'integer',
            format: 'int32',
            description:
              'leaseTransitions is the number of transitions of a lease between holders.',
          },
          renewTime: refWith(`${META}.MicroTime`, {
            description:
              'renewTime is a time when the current holder of a lease has last updated the lease.',
          }),
        },
      },
    },
  ),
};
