import { z } from 'zod';
import { conditionsSchema, GROUP_VERSION, objectMetaSchema, timestamp } from './meta';

const port = z.number().int().min(1).max(65535);

export const gatewaySpecSchema = z.object({
  endpoint: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/, {
      message: 'must be HOST:PORT',
    })
    .describe('Address devices dial, HOST:PORT.'),
  tlsPort: port.default(8443),
  adminPort: port.default(8080),
  region: z.string().max(63).optional(),
  capacity: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10000)
    .describe('Most device sessions held.'),
  heartbeatTimeoutSeconds: z.number().int().min(5).max(3600).default(90),
  enrollmentTimeoutSeconds: z.number().int().min(5).max(3600).default(30),
});
export type GatewaySpec = z.infer<typeof gatewaySpecSchema>;

export const GATEWAY_PHASES = ['Pending', 'Ready', 'NotReady'] as const;

export const gatewayStatusSchema = z.object({
  phase: z.enum(GATEWAY_PHASES).optional(),
  connectedDevices: z.number().int().min(0).optional(),
  enrolledDevices: z.number().int().min(0).optional(),
  lastSeen: timestamp.optional(),
  capacity: z.number().int().min(0).optional().describe('Most device sessions this process holds.'),
  endpoints: z
    .object({
      devices: z.string().max(300).describe('HOST:PORT of the mutual-TLS device listener.'),
      enrollment: z.string().max(300).describe('HOST:PORT of the enrollment listener.'),
    })
    .optional(),
  conditions: conditionsSchema.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;

export const gatewaySchema = z.object({
  apiVersion: z.literal(GROUP_VERSION),
  kind: z.literal('Gateway'),
  metadata: objectMetaSchema,
  spec: gatewaySpecSchema,
  status: gatewayStatusSchema.optional(),
});
export type Gateway = z.infer<typeof gatewaySchema>;
