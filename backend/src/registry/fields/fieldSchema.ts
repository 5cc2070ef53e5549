import {
  customResourceDefinition,
  kindByName,
  type JSONSchemaProps,
} from '@wasmbed/plugin-wasmbed-common';
import type { ResourceDescriptor } from '../types';
import { CORE_FIELD_SCHEMAS, OBJECT_META } from './coreSchemas';
import { FieldSet } from './fieldSet';

/**
 * How an object's fields merge and are owned, node by node (structured-merge-diff's schema):
 * - `scalar`: a leaf (of a JSON type, when the schema says which).
 * - `struct`: named fields; a field it does not declare is refused in an applied object
 *   unless the struct preserves unknown fields (then it is `untyped`).
 * - `map`: arbitrary keys, each of type `element` (labels, ConfigMap data).
 * - `list`: `atomic` (replaced and owned whole), `set` (items are scalars, owned by value) or
 *   `map` (items are objects, owned by the values of `keys`).
 * - `untyped`: shape taken from the value: objects are granular maps, lists atomic.
 * A struct or map marked `atomic` is replaced and owned whole.
 */
export type FieldNode =
  | { type: 'scalar'; scalarType?: 'string' | 'numeric' | 'boolean' }
  | {
      type: 'struct';
      fields: Record<string, FieldNode>;
      atomic?: boolean;
      /** Undeclared fields are kept, untyped (x-kubernetes-preserve-unknown-fields). */
      preserveUnknownFields?: boolean;
    }
  | { type: 'map'; element: FieldNode; atomic?: boolean }
  | { type: 'list'; element: FieldNode; listType: 'atomic' | 'set' | 'map'; keys?: string[] }
  | { type: 'untyped' };

export interface FieldSchema {
  kind: string;
  root: FieldNode;
  /**
   * What each endpoint may not change (kube's "reset fields"): changes there are not owned by
   * the writer. With a status subresource, the main resource ignores `status` and `/status`
   * ignores `spec`.
   */
  resetFields: { main: FieldSet; status: FieldSet };
  /** The kind's empty object as kube's Go types serialise it: the "before" of a create. */
  emptyObject: Record<string, unknown>;
}

export const SCALAR: FieldNode = { type: 'scalar' };
export const UNTYPED: FieldNode = { type: 'untyped' };

const cache = new Map<string, FieldSchema>();

export function fieldSchemaFor(resource: ResourceDescriptor): FieldSchema {
  const id = `${resource.group}/${resource.version}/${resource.kind}`;
  let schema = cache.get(id);
  if (!schema) {
    schema = buildSchema(resource);
    cache.set(id, schema);
  }
  return schema;
}

function buildSchema(resource: ResourceDescriptor): FieldSchema {
  const hasStatus = resource.subresources.includes('status');
  const resetFields = {
    main: hasStatus ? FieldSet.of([['f:status']]) : new FieldSet(),
    status: hasStatus ? FieldSet.of([['f:spec']]) : new FieldSet(),
  };
  const core = resource.group === '' || resource.group === 'coordination.k8s.io';
  const known = core ? CORE_FIELD_SCHEMAS[resource.kind] : undefined;
  if (known) {
    return { kind: resource.kind, root: known.root, resetFields, emptyObject: known.emptyObject };
  }
  const def = core ? undefined : kindByName(resource.kind);
  if (!def) {
    // A kind served without a schema here: ObjectMeta typed, everything else by its values
    // (maps granular, lists atomic), which is how kube treats fields it has no schema for.
    const root: FieldNode = {
      type: 'struct',
      fields: { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META },
      preserveUnknownFields: true,
    };
    return { kind: resource.kind, root, resetFields, emptyObject: {} };
  }
  const crd = customResourceDefinition(def);
  const root = fromStructuralSchema(crd.spec.versions[0]!.schema.openAPIV3Schema);
  if (root.type === 'struct') root.fields.metadata = OBJECT_META;
  return { kind: resource.kind, root, resetFields, emptyObject: {} };
}

/**
 * A CRD's structural schema as kube-apiserver reads it for field management: lists without
 * `x-kubernetes-list-type` are atomic, objects with properties are structs, objects with
 * additionalProperties are maps, anything else is untyped.
 */
export function fromStructuralSchema(s: JSONSchemaProps): FieldNode {
  const extensions = s as {
    'x-kubernetes-map-type'?: string;
    'x-kubernetes-preserve-unknown-fields'?: boolean;
  };
  const atomicMap = extensions['x-kubernetes-map-type'] === 'atomic';
  if (s.type === 'object') {
    if (s.properties) {
      const fields: Record<string, FieldNode> = {};
      for (const [k, v] of Object.entries(s.properties)) fields[k] = fromStructuralSchema(v);
      const node: FieldNode & { type: 'struct' } = { type: 'struct', fields };
      if (atomicMap) node.atomic = true;
      if (extensions['x-kubernetes-preserve-unknown-fields']) node.preserveUnknownFields = true;
      return node;
    }
    if (s.additionalProperties) {
      const element = fromStructuralSchema(s.additionalProperties);
      return atomicMap ? { type: 'map', element, atomic: true } : { type: 'map', element };
    }
    return UNTYPED;
  }
  if (s.type === 'array') {
    const element = s.items ? fromStructuralSchema(s.items) : UNTYPED;
    const listType = s['x-kubernetes-list-type'] ?? 'atomic';
    if (listType === 'map') {
      return { type: 'list', element, listType, keys: s['x-kubernetes-list-map-keys'] ?? [] };
    }
    return { type: 'list', element, listType };
  }
  if (s.type === 'string') return { type: 'scalar', scalarType: 'string' };
  if (s.type === 'integer' || s.type === 'number') return { type: 'scalar', scalarType: 'numeric' };
  if (s.type === 'boolean') return { type: 'scalar', scalarType: 'boolean' };
  return SCALAR;
}
