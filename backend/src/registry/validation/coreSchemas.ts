import { z } from 'zod';

/**
 * The fields of the core kinds the embedded server serves, as small zod schemas (the part of
 * each kind's Go type Wasmbed needs; kube-apiserver decodes into those types, which drops
 * unknown fields exactly as pruning does). Only shape is checked here; each kind's semantic
 * rules (key names, base64) live in coreRules.ts.
 */

const str = z.string();
const time = z.string();
const stringMap = z.record(z.string(), str);

const objectReference = z.object({
  kind: str.optional(),
  namespace: str.optional(),
  name: str.optional(),
  uid: str.optional(),
  apiVersion: str.optional(),
  resourceVersion: str.optional(),
  fieldPath: str.optional(),
});

export const namespaceBody = z.object({
  spec: z.object({ finalizers: z.array(str).optional() }).optional(),
  status: z
    .object({
      phase: z.enum(['Active', 'Terminating']).optional(),
      conditions: z
        .array(
          z.object({
            type: str,
            status: str,
            lastTransitionTime: time.optional(),
            reason: str.optional(),
            message: str.optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export const configMapBody = z.object({
  data: stringMap.optional(),
  binaryData: stringMap.optional(),
  immutable: z.boolean().optional(),
});

export const secretBody = z.object({
  data: stringMap.optional(),
  stringData: stringMap.optional(),
  type: str.optional(),
  immutable: z.boolean().optional(),
});

export const eventBody = z.object({
  involvedObject: objectReference.optional(),
  reason: str.optional(),
  message: str.optional(),
  source: z.object({ component: str.optional(), host: str.optional() }).optional(),
  firstTimestamp: time.optional(),
  lastTimestamp: time.optional(),
  count: z.number().int().optional(),
  type: str.optional(),
  eventTime: time.optional(),
  series: z
    .object({ count: z.number().int().optional(), lastObservedTime: time.optional() })
    .optional(),
  action: str.optional(),
  related: objectReference.optional(),
  reportingComponent: str.optional(),
  reportingInstance: str.optional(),
});

export const leaseBody = z.object({
  spec: z
    .object({
      holderIdentity: str.optional(),
      leaseDurationSeconds: z.number().int().optional(),
      acquireTime: time.optional(),
      renewTime: time.optional(),
      leaseTransitions: z.number().int().optional(),
      strategy: str.optional(),
      preferredHolder: str.optional(),
    })
    .optional(),
});
