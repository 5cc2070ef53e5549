import { z } from 'zod';
import { withCrdFacts } from '../crd/annotations';

export const API_GROUP = 'wasmbed.io';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/**
 * RFC 1123 subdomain, the rule Kubernetes applies to object names; also what device names,
 * app names and server names are checked against wherever they enter (admin API, wire
 * protocol, provisioning blocks).
 */
export const RFC1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsSubdomain = z.string().min(1).max(253).regex(RFC1123_SUBDOMAIN, {
  message: 'must be lowercase letters, digits, "-" or ".", starting and ending alphanumeric',
});

const labelValue = z
  .string()
  .max(63)
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);

export const timestamp = z.string().datetime({ offset: true });

export const objectMetaSchema = z.object({
  name: dnsSubdomain,
  namespace: dnsSubdomain.optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().min(0).optional(),
  creationTimestamp: timestamp.optional(),
  deletionTimestamp: timestamp.optional(),
  labels: z.record(z.string(), labelValue).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** The metav1.Condition shape, so kubectl and controllers read our conditions natively. */
export const conditionSchema = z.object({
  type: z
    .string()
    .min(1)
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    ),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
  lastTransitionTime: timestamp,
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const conditionsSchema = withCrdFacts(z.array(conditionSchema).max(32), {
  listMapKeys: ['type'],
});

export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), labelValue).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

export const secretKeyRefSchema = z.object({
  name: dnsSubdomain,
  key: z.string().min(1).max(253),
});

/** Hex SHA-256 digest, lowercase. */
export const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits' });
