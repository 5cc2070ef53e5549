import { z, type ZodTypeAny } from 'zod';
import { kindByName } from '@wasmbed/plugin-wasmbed-common';
import type { Cause } from './errors';
import type { NameRule } from './validation/objectMeta';
import {
  configMapBody,
  eventBody,
  leaseBody,
  namespaceBody,
  secretBody,
} from './validation/coreSchemas';
import { coreRules } from './validation/coreRules';
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
  /** A status subresource: .status ignored on the main resource, only .status on /status. */
  statusSubresource: boolean;
  /** metadata.generation kept and bumped (custom resources; the core kinds here have none). */
  tracksGeneration: boolean;
  nameRule: NameRule;
  /** An update without metadata.resourceVersion is accepted (false for custom resources). */
  allowUnconditionalUpdate: boolean;
  /** PUT of a missing object creates it. */
  allowCreateOnUpdate: boolean;
  /** Defaults and normalisation on create (after pruning). */
  prepareForCreate(object: KubeObject): void;
  /** Kind rules beyond the shape: messages as kube's Go validation gives them. */
  validate(object: KubeObject, old: KubeObject | undefined): Cause[];
}

const noRules = () => [];

function customStrategy(r: ResourceDescriptor): KindStrategy {
  const def = kindByName(r.kind);
  if (!def) throw new Error(`no wasmbed.io kind ${r.kind}`);
  return {
    resource: r,
    body: z.object({ spec: def.spec, status: def.status.optional() }),
    custom: true,
    statusSubresource: true,
    tracksGeneration: true,
    nameRule: 'subdomain',
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    prepareForCreate: () => {},
    validate: noRules,
  };
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
    statusSubresource: r.subresources.includes('status'),
    tracksGeneration: false,
    nameRule: 'subdomain',
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: false,
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
        prepareForCreate: o => {
          o.type ??= 'Opaque';
        },
      });
    case 'Event':
      return coreStrategy(r, eventBody, { allowCreateOnUpdate: true });
    case 'Lease':
      return coreStrategy(r, leaseBody);
    default:
      throw new Error(`no strategy for ${r.kind}`);
  }
}
