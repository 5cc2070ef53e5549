import { z } from 'zod';
import { BOARDS, BOARD_IDS } from '../boards';
import { withCrdFacts } from '../crd/annotations';
import {
  conditionsSchema,
  dnsSubdomain,
  GROUP_VERSION,
  objectMetaSchema,
  secretKeyRefSchema,
  sha256Hex,
  timestamp,
} from './meta';

export const DEVICE_PHASES = [
  'Pending',
  'Enrolling',
  'Enrolled',
  'Connected',
  'Disconnected',
  'Unreachable',
] as const;
export const ARCHITECTURES = ['armv7-m', 'armv7e-m', 'armv8-m.main'] as const;

const enrollmentSchema = withCrdFacts(
  z
    .object({
      bootstrapTokenSecretRef: secretKeyRefSchema
        .describe('Secret key holding a one-time bootstrap token the device presents with its CSR.')
        .optional(),
      publicKey: z
        .string()
        .min(1)
        .max(4096)
        .describe('PEM SubjectPublicKeyInfo of the device key, pinned instead of a token.')
        .optional(),
    })
    .refine(e => (e.bootstrapTokenSecretRef === undefined) !== (e.publicKey === undefined), {
      message: 'set exactly one of bootstrapTokenSecretRef and publicKey',
    }),
  {
    celRules: [
      {
        rule: 'has(self.bootstrapTokenSecretRef) != has(self.publicKey)',
        message: 'set exactly one of bootstrapTokenSecretRef and publicKey',
      },
    ],
  },
);

const architectureOf = Object.fromEntries(BOARDS.map(b => [b.id, b.architecture]));

export const deviceSpecSchema = withCrdFacts(
  z
    .object({
      board: z.enum(BOARD_IDS).describe('Board from the board catalogue.'),
      architecture: z
        .enum(ARCHITECTURES)
        .describe('Instruction-set architecture; must match the board when set.')
        .optional(),
      gateway: dnsSubdomain.describe('Preferred Gateway name.').optional(),
      enrollment: enrollmentSchema,
      revoked: z
        .boolean()
        .describe('A revoked device is refused at handshake and its session is closed.')
        .optional(),
    })
    .refine(s => s.architecture === undefined || architectureOf[s.board] === s.architecture, {
      message: 'architecture does not match the board',
      path: ['architecture'],
    }),
  {
    celRules: [
      {
        rule:
          '!has(self.architecture) || ' +
          BOARDS.map(
            b => `(self.board == '${b.id}' && self.architecture == '${b.architecture}')`,
          ).join(' || '),
        message: 'architecture does not match the board',
      },
    ],
  },
);
export type DeviceSpec = z.infer<typeof deviceSpecSchema>;

export const APP_PHASES_ON_DEVICE = ['Deploying', 'Running', 'Stopped', 'Failed'] as const;

export const deviceStatusSchema = z.object({
  phase: z.enum(DEVICE_PHASES).optional(),
  gateway: z.string().optional(),
  lastHeartbeat: timestamp.optional(),
  firmwareVersion: z.string().max(64).optional(),
  capabilities: z
    .object({
      hostApiVersion: z.number().int().min(0),
      memoryBytes: z.number().int().min(0),
      maxModuleBytes: z.number().int().min(0),
      maxApps: z.number().int().min(0),
    })
    .optional(),
  certificate: z
    .object({
      fingerprintSha256: sha256Hex,
      serialNumber: z.string().max(64),
      notBefore: timestamp,
      notAfter: timestamp,
    })
    .optional(),
  certificateSerials: z
    .array(z.string().regex(/^[0-9a-f]{1,64}$/))
    .max(64)
    .describe('Serials (hex) of every certificate issued to the device: what revocation lists.')
    .optional(),
  apps: z
    .array(
      z.object({
        name: dnsSubdomain,
        sha256: sha256Hex,
        phase: z.enum(APP_PHASES_ON_DEVICE),
        restarts: z.number().int().min(0).optional(),
        error: z.string().max(1024).optional(),
      }),
    )
    .max(16)
    .optional(),
  conditions: conditionsSchema.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export const deviceSchema = z.object({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('Device'),
  metadata: objectMetaSchema,
  spec: deviceSpecSchema,
  status: deviceStatusSchema.optional(),
});
export type Device = z.infer<typeof deviceSchema>;
