import type { ZodTypeAny } from 'zod';
import { appInstanceSchema, appInstanceSpecSchema, appInstanceStatusSchema } from './appInstance';
import { applicationSchema, applicationSpecSchema, applicationStatusSchema } from './application';
import { deviceSchema, deviceSpecSchema, deviceStatusSchema } from './device';
import { gatewaySchema, gatewaySpecSchema, gatewayStatusSchema } from './gateway';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything the API server, the CRD generator and kubectl need to know about one kind. */
export interface KindDefinition {
  kind: 'Device' | 'Application' | 'AppInstance' | 'Gateway';
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  schema: ZodTypeAny;
  spec: ZodTypeAny;
  status: ZodTypeAny;
  printerColumns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const KINDS: readonly KindDefinition[] = [
  {
    kind: 'Device',
    plural: 'devices',
    singular: 'device',
    shortNames: ['wdev'],
    categories: ['wasmbed'],
    schema: deviceSchema,
    spec: deviceSpecSchema,
    status: deviceStatusSchema,
    printerColumns: [
      { name: 'Board', type: 'string', jsonPath: '.spec.board' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Gateway', type: 'string', jsonPath: '.status.gateway' },
      { name: 'Firmware', type: 'string', jsonPath: '.status.firmwareVersion', priority: 1 },
      { name: 'Last-Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeat' },
      age,
    ],
  },
  {
    kind: 'Application',
    plural: 'applications',
    singular: 'application',
    shortNames: ['wapp'],
    categories: ['wasmbed'],
    schema: applicationSchema,
    spec: applicationSpecSchema,
    status: applicationStatusSchema,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Desired', type: 'integer', jsonPath: '.status.desired' },
      { name: 'Updated', type: 'integer', jsonPath: '.status.updated' },
      { name: 'Running', type: 'integer', jsonPath: '.status.running' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.failed' },
      { name: 'Module', type: 'string', jsonPath: '.status.moduleSha256', priority: 1 },
      age,
    ],
  },
  {
    kind: 'AppInstance',
    plural: 'appinstances',
    singular: 'appinstance',
    shortNames: ['wai'],
    categories: ['wasmbed'],
    schema: appInstanceSchema,
    spec: appInstanceSpecSchema,
    status: appInstanceStatusSchema,
    printerColumns: [
      { name: 'Application', type: 'string', jsonPath: '.spec.application' },
      { name: 'Device', type: 'string', jsonPath: '.spec.device' },
      { name: 'Revision', type: 'integer', jsonPath: '.spec.revision' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Restarts', type: 'integer', jsonPath: '.status.restarts' },
      { name: 'Gateway', type: 'string', jsonPath: '.status.gateway', priority: 1 },
      age,
    ],
  },
  {
    kind: 'Gateway',
    plural: 'gateways',
    singular: 'gateway',
    shortNames: ['wgw'],
    categories: ['wasmbed'],
    schema: gatewaySchema,
    spec: gatewaySpecSchema,
    status: gatewayStatusSchema,
    printerColumns: [
      { name: 'Endpoint', type: 'string', jsonPath: '.spec.endpoint' },
      { name: 'Region', type: 'string', jsonPath: '.spec.region' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Connected', type: 'integer', jsonPath: '.status.connectedDevices' },
      { name: 'Enrolled', type: 'integer', jsonPath: '.status.enrolledDevices' },
      age,
    ],
  },
];

export function kindByName(kind: string): KindDefinition | undefined {
  return KINDS.find(k => k.kind === kind);
}
