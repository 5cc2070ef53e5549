import { z } from 'zod';
import { withCrdFacts } from '../crd/annotations';
import {
  conditionsSchema,
  dnsSubdomain,
  GROUP_VERSION,
  labelSelectorSchema,
  objectMetaSchema,
  sha256Hex,
} from './meta';

/** Devices take modules of at most this size; the gateway refuses larger ones before sending. */
export const MAX_MODULE_BYTES = 256 * 1024;

const moduleSourceSchema = withCrdFacts(
  z
    .object({
      inline: z
        .string()
        .max(Math.ceil((MAX_MODULE_BYTES * 4) / 3) + 4)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'must be base64' })
        .describe('The module bytes, base64.')
        .optional(),
      url: z
        .string()
        .url()
        .max(2048)
        .describe('Where the control plane fetches the module from.')
        .optional(),
      ref: z
        .object({
          kind: z.enum(['ConfigMap', 'Build']),
          name: dnsSubdomain,
          key: z.string().min(1).max(253).optional(),
        })
        .describe('A ConfigMap key holding the module, or a compile-service Build.')
        .optional(),
      sha256: sha256Hex
        .describe('Expected digest; the rollout refuses a module that differs.')
        .optional(),
    })
    .refine(m => [m.inline, m.url, m.ref].filter(x => x !== undefined).length === 1, {
      message: 'set exactly one of inline, url and ref',
    }),
  {
    celRules: [
      {
        rule: '[has(self.inline), has(self.url), has(self.ref)].filter(x, x).size() == 1',
        message: 'set exactly one of inline, url and ref',
      },
    ],
  },
);

const targetSchema = withCrdFacts(
  z
    .object({
      devices: z.array(dnsSubdomain).min(1).max(10000).optional(),
      selector: labelSelectorSchema.optional(),
      all: z.literal(true).optional(),
    })
    .refine(t => [t.devices, t.selector, t.all].filter(x => x !== undefined).length === 1, {
      message: 'set exactly one of devices, selector and all',
    }),
  {
    celRules: [
      {
        rule: '[has(self.devices), has(self.selector), has(self.all)].filter(x, x).size() == 1',
        message: 'set exactly one of devices, selector and all',
      },
    ],
  },
);

export const applicationSpecSchema = z.object({
  module: moduleSourceSchema,
  target: targetSchema,
  config: z
    .record(z.string().min(1).max(64), z.string().max(1024))
    .describe('Key/value configuration an app reads through the host API (config get).')
    .optional(),
  env: z
    .array(z.object({ name: z.string().min(1).max(64), value: z.string().max(1024) }))
    .max(64)
    .optional(),
  limits: z
    .object({
      memoryBytes: z.number().int().min(65536).max(4194304).default(65536),
      fuelPerActivation: z.number().int().min(1000).max(1_000_000_000).default(1_000_000),
      maxRestarts: z.number().int().min(0).max(1000).default(3),
    })
    .optional(),
  activation: z
    .object({
      periodMs: z
        .number()
        .int()
        .min(10)
        .max(86_400_000)
        .describe('Run the app this often.')
        .optional(),
    })
    .optional(),
  rollout: z
    .object({
      maxUnavailable: z
        .number()
        .int()
        .min(1)
        .default(10)
        .describe(
          'Most devices whose instance is being replaced (not yet Running the new revision) at once: the batch size of a rollout.',
        ),
      maxFailures: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe('Failed instances of the new revision after which the rollout stops.'),
    })
    .optional(),
});
export type ApplicationSpec = z.infer<typeof applicationSpecSchema>;

export const APPLICATION_PHASES = [
  'Pending',
  'Deploying',
  'Running',
  'Degraded',
  'Failed',
] as const;
export const APP_DEVICE_PHASES = ['Pending', 'Deploying', 'Running', 'Stopped', 'Failed'] as const;

export const applicationStatusSchema = z.object({
  phase: z.enum(APPLICATION_PHASES).optional(),
  moduleSha256: sha256Hex.optional(),
  moduleBytes: z.number().int().min(0).optional(),
  /** The revision instances are being moved to (bumped when the module, config, limits or activation change). */
  revision: z.number().int().min(0).optional(),
  desired: z.number().int().min(0).optional().describe('Devices targeted.'),
  updated: z.number().int().min(0).optional().describe('Instances at the current revision.'),
  running: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Instances at the current revision that their device reports Running.'),
  failed: z.number().int().min(0).optional().describe('Instances their device reports Failed.'),
  conditions: conditionsSchema.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type ApplicationStatus = z.infer<typeof applicationStatusSchema>;

export const applicationSchema = z.object({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('Application'),
  metadata: objectMetaSchema,
  spec: applicationSpecSchema,
  status: applicationStatusSchema.optional(),
});
export type Application = z.infer<typeof applicationSchema>;
