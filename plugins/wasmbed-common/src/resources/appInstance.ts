import { z } from 'zod';
import { APP_DEVICE_PHASES } from './application';
import {
  conditionsSchema,
  dnsSubdomain,
  GROUP_VERSION,
  objectMetaSchema,
  sha256Hex,
  timestamp,
} from './meta';

/**
 * One Application on one device, as a Pod is to a Deployment. The Application controller
 * writes the spec (and owns the object); the gateway holding the device acts on it and writes
 * the status from what the device reported.
 */
export const appInstanceSpecSchema = z.object({
  application: dnsSubdomain.describe('The Application this instance belongs to.'),
  device: dnsSubdomain.describe('The Device it runs on.'),
  revision: z.number().int().min(1).describe('The Application revision this spec was made from.'),
  module: z
    .object({
      sha256: sha256Hex,
      bytes: z.number().int().min(1),
      configMap: dnsSubdomain.describe(
        'ConfigMap (same namespace) whose binaryData "module.wasm" holds the bytes; its name is derived from the digest.',
      ),
    })
    .describe('The resolved module: the gateway checks the digest before sending it.'),
  config: z.record(z.string().min(1).max(64), z.string().max(1024)).optional(),
  limits: z
    .object({
      memoryBytes: z.number().int().min(65536).max(4194304),
      fuelPerActivation: z.number().int().min(1000).max(1_000_000_000),
      maxRestarts: z.number().int().min(0).max(1000),
    })
    .optional(),
  activation: z
    .object({ periodMs: z.number().int().min(10).max(86_400_000).optional() })
    .optional(),
});
export type AppInstanceSpec = z.infer<typeof appInstanceSpecSchema>;

/** Latest value per telemetry topic the app published, as the gateway received it. */
export const MAX_TELEMETRY_TOPICS = 16;

export const appInstanceStatusSchema = z.object({
  phase: z.enum(APP_DEVICE_PHASES).optional(),
  gateway: z.string().max(253).optional().describe('The gateway that wrote this status.'),
  moduleSha256: sha256Hex.optional().describe('What the device reports it runs.'),
  deployedBytes: z.number().int().min(0).optional(),
  restarts: z.number().int().min(0).optional(),
  lastError: z.string().max(1024).optional(),
  telemetry: z
    .array(
      z.object({
        topic: z.string().min(1).max(128),
        value: z.number(),
        time: timestamp,
      }),
    )
    .max(MAX_TELEMETRY_TOPICS)
    .optional(),
  lastTransitionTime: timestamp.optional(),
  conditions: conditionsSchema.optional(),
  /** The metadata.generation of the spec the device was last given. */
  observedGeneration: z.number().int().min(0).optional(),
});
export type AppInstanceStatus = z.infer<typeof appInstanceStatusSchema>;

export const appInstanceSchema = z.object({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('AppInstance'),
  metadata: objectMetaSchema,
  spec: appInstanceSpecSchema,
  status: appInstanceStatusSchema.optional(),
});
export type AppInstance = z.infer<typeof appInstanceSchema>;
