import { z } from 'zod';
import { goStruct, goTime } from './goDecode';

/**
 * The fields of the core kinds the embedded server serves, as small zod schemas (the part of
 * each kind's Go type Wasmbed needs; kube-apiserver decodes into those types, which drops
 * unknown fields exactly as pruning does). Only shape is checked here; each kind's semantic
 * rules (key names, base64) live in coreRules.ts.
 */

const str = z.string();
const stringMap = z.record(z.string(), str);

const objectReference = goStruct(
  z.object({
    kind: str.optional(),
    namespace: str.optional(),
    name: str.optional(),
    uid: str.optional(),
    apiVersion: str.optional(),
    resourceVersion: str.optional(),
    fieldPath: str.optional(),
  }),
  'ObjectReference',
);

export const namespaceBody = goStruct(
  z.object({
    spec: goStruct(z.object({ finalizers: z.array(str).optional() }), 'NamespaceSpec').optional(),
    status: goStruct(
      z.object({
        phase: z.enum(['Active', 'Terminating']).optional(),
        conditions: z
          .array(
            z.object({
              type: str,
              status: str,
              lastTransitionTime: goTime('Time').optional(),
              reason: str.optional(),
              message: str.optional(),
            }),
          )
          .optional(),
      }),
      'NamespaceStatus',
    ).optional(),
  }),
  'Namespace',
);

export const configMapBody = goStruct(
  z.object({
    data: stringMap.optional(),
    binaryData: stringMap.optional(),
    immutable: z.boolean().optional(),
  }),
  'ConfigMap',
);

export const secretBody = goStruct(
  z.object({
    data: stringMap.optional(),
    stringData: stringMap.optional(),
    type: str.optional(),
    immutable: z.boolean().optional(),
  }),
  'Secret',
);

export const eventBody = goStruct(
  z.object({
    involvedObject: objectReference.optional(),
    reason: str.optional(),
    message: str.optional(),
    source: goStruct(
      z.object({ component: str.optional(), host: str.optional() }),
      'EventSource',
    ).optional(),
    firstTimestamp: goTime('Time').optional(),
    lastTimestamp: goTime('Time').optional(),
    count: z.number().int().optional(),
    type: str.optional(),
    eventTime: goTime('MicroTime').optional(),
    series: goStruct(
      z.object({
        count: z.number().int().optional(),
        lastObservedTime: goTime('MicroTime').optional(),
      }),
      'EventSeries',
    ).optional(),
    action: str.optional(),
    related: objectReference.optional(),
    reportingComponent: str.optional(),
    reportingInstance: str.optional(),
  }),
  'Event',
);

export const leaseBody = goStruct(
  z.object({
    spec: goStruct(
      z.object({
        holderIdentity: str.optional(),
        leaseDurationSeconds: z.number().int().optional(),
        acquireTime: goTime('MicroTime').optional(),
        renewTime: goTime('MicroTime').optional(),
        leaseTransitions: z.number().int().optional(),
        strategy: str.optional(),
        preferredHolder: str.optional(),
      }),
      'LeaseSpec',
    ).optional(),
  }),
  'Lease',
);
