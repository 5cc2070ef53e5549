import { z, type ZodTypeAny } from 'zod';
import { kindByName } from '@wasmbed/plugin-wasmbed-common';
import type { Cause } from './errors';
import { isPlainObject, setOwn, sortedKeys, typedOrder } from './json';
import type { NameRule } from './validation/objectMeta';
import {
  configMapBody,
  eventBody,
  leaseBody,
  namespaceBody,
  secretBody,
} from './validation/coreSchemas';
import { coreRules } from './validation/coreRules';
import { EVENT_ZERO_FIELDS } from './fields/coreSchemas';
import { hasCelRules } from './validation/structuralValidator';
import type { KubeObject, ResourceDescriptor } from './types';

/**
 * What differs between kinds in how they are written: a kube "strategy"
 * (k8s.io/apiserver/pkg/registry/rest), one per served resource.
 */
export interface KindStrategy {
  resource: ResourceDescriptor;
  /** The top-level fields besides apiVersion/kind/metadata, for pruning, defaulting, validation. */
  body: ZodTypeAny;
  /** Custom resources: the CRD's structural schema; unknown fields pruned. */
  custom: boolean;
  /** The schema carries CEL rules (zod refinements), run after the schema checks. */
  celRules: boolean;
  /** A status subresource: .status ignored on the main resource, only .status on /status. */
  statusSubresource: boolean;
  /** metadata.generation kept and bumped (custom resources; the core kinds here have none). */
  tracksGeneration: boolean;
  nameRule: NameRule;
  /** An update without metadata.resourceVersion is accepted (false for custom resources). */
  allowUnconditionalUpdate: boolean;
  /** PUT of a missing object creates it. */
  allowCreateOnUpdate: boolean;
  /**
   * Defaults kube applies while decoding (so they are in the request object the field manager
   * sees and owned by the writer), on create and update.
   */
  defaults(object: KubeObject): void;
  /** What kube's strategy sets on create, after field ownership is recorded (not owned). */
  prepareForCreate(object: KubeObject): void;
  /** The object with its keys in the order kube serialises this kind. */
  canonical(object: KubeObject): KubeObject;
  /** Kind rules beyond the shape: messages as kube's Go validation gives them. */
  validate(object: KubeObject, old: KubeObject | undefined): Cause[];
}

const noRules = () => [];

function customStrategy(r: ResourceDescriptor): KindStrategy {
  const def = kindByName(r.kind);
  if (!def) throw new Error(`no wasmbed.io kind ${r.kind}`);
  const body = z.object({ spec: def.spec, status: def.status.optional() });
  return {
    resource: r,
    body,
    custom: true,
    celRules: hasCelRules(body),
    canonical: o => sortedKeys(o) as KubeObject,
    statusSubresource: true,
    tracksGeneration: true,
    nameRule: 'subdomain',
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    defaults: () => {},
    prepareForCreate: () => {},
    validate: noRules,
  };
}

/** A value with object keys in the order of the zod shape (Go struct order); maps sorted. */
function bySchema(value: unknown, schema: ZodTypeAny): unknown {
  if (schema instanceof z.ZodOptional) return bySchema(value, schema.unwrap());
  if (schema instanceof z.ZodDefault) return bySchema(value, schema.removeDefault());
  if (schema instanceof z.ZodRecord) return sortedKeys(value);
  if (schema instanceof z.ZodArray && Array.isArray(value))
    return value.map(v => bySchema(v, schema.element));
  if (schema instanceof z.ZodObject && isPlainObject(value)) {
    const shape = schema.shape as Record<string, ZodTypeAny>;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(shape))
      if (Object.hasOwn(value, k) && value[k] !== undefined)
        setOwn(out, k, bySchema(value[k], child));
    for (const k of Object.keys(value))
      if (!Object.hasOwn(out, k) && value[k] !== undefined) setOwn(out, k, value[k]);
    return out;
  }
  return value;
}

function coreStrategy(
  r: ResourceDescriptor,
  body: ZodTypeAny,
  extra: Partial<KindStrategy> = {},
): KindStrategy {
  return {
    resource: r,
    body,
    custom: false,
    celRules: false,
    canonical: o => typedOrder(o, b => bySchema(b, body) as Record<string, unknown>) as KubeObject,
    statusSubresource: r.subresources.includes('status'),
    tracksGeneration: false,
    nameRule: 'subdomain',
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
    defaults: () => {},
    prepareForCreate: () => {},
    validate: coreRules[r.kind] ?? noRules,
    ...extra,
  };
}

export function strategyFor(r: ResourceDescriptor): KindStrategy {
  if (r.group !== '' && r.group !== 'coordination.k8s.io') return customStrategy(r);
  switch (r.kind) {
    case 'Namespace':
      return coreStrategy(r, namespaceBody, {
        nameRule: 'label',
        defaults: o => {
          // SetDefaults_Namespace: every namespace carries its name as a label.
          if (o.metadata.name) {
            o.metadata.labels = {
              ...o.metadata.labels,
              'kubernetes.io/metadata.name': o.metadata.name,
            };
          }
        },
        prepareForCreate: o => {
          // kube's namespace strategy: the "kubernetes" finalizer and phase Active, always.
          const spec = ((o.spec as Record<string, unknown>) ??= {});
          const finalizers = (spec.finalizers as string[] | undefined) ?? [];
          if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
          spec.finalizers = finalizers;
          o.status = { phase: 'Active' };
        },
      });
    case 'ConfigMap':
      return coreStrategy(r, configMapBody);
    case 'Secret':
      return coreStrategy(r, secretBody, {
        defaults: o => {
          if (o.type === undefined || o.type === '') o.type = 'Opaque';
        },
      });
    case 'Event':
      return coreStrategy(r, eventBody, {
        allowCreateOnUpdate: true,
        canonical: o =>
          typedOrder(
            { ...EVENT_ZERO_FIELDS, ...o },
            b => bySchema(b, eventBody) as Record<string, unknown>,
          ) as KubeObject,
      });
    case 'Lease':
      return coreStrategy(r, leaseBody);
    default:
      throw new Error(`no strategy for ${r.kind}`);
  }
}
