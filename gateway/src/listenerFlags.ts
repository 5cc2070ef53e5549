import type { ParseArgsConfig } from 'node:util';
import type { AdmissionLimits } from './transport/admission';
import { DEFAULT_ADMISSION } from './transport/admission';

/**
 * The flags every gateway command takes for its listeners (the production one on the API and
 * the test fixture): ports, address, TLS, heartbeat deadline, admission caps, logging.
 */
export const LISTENER_FLAGS = {
  port: { type: 'string', default: '8443' },
  'enroll-port': { type: 'string' },
  'admin-port': { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  data: { type: 'string', default: '.wasmbed/gateway' },
  'heartbeat-timeout': { type: 'string', default: '90' },
  'allow-tls12': { type: 'boolean', default: false },
  'tls-groups': { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  'max-connections': { type: 'string', default: String(DEFAULT_ADMISSION.maxConnections) },
  'max-connections-per-address': {
    type: 'string',
    default: String(DEFAULT_ADMISSION.maxConnectionsPerAddress),
  },
  'max-handshakes': { type: 'string', default: String(DEFAULT_ADMISSION.maxHandshakes) },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface ListenerSettings {
  host: string;
  port: number;
  enrollPort: number;
  adminPort: number;
  dataDir: string;
  heartbeatTimeoutMs: number;
  allowTls12: boolean;
  tlsGroups: string | undefined;
  logLevel: string;
  admission: AdmissionLimits;
}

type Values = Record<string, string | boolean | undefined>;

/** A whole number flag within [min, max]; `fail` ends the command with a usage error. */
export function wholeFlag(
  values: Values,
  flag: string,
  fail: (message: string) => never,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = String(values[flag]);
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${flag}: ${text} is out of range`);
  return n;
}

/** The listener flags, checked. Enrollment and health default to PORT+1 and PORT+2. */
export function listenerSettings(
  values: Values,
  fail: (message: string) => never,
): ListenerSettings {
  const whole = (flag: string, min: number, max?: number) =>
    wholeFlag(values, flag, fail, min, max);
  const port = whole('port', 0, 65535);
  const next = (flag: string, offset: number) =>
    values[flag] ? whole(flag, 0, 65535) : port === 0 ? 0 : port + offset;
  return {
    host: String(values.host),
    port,
    enrollPort: next('enroll-port', 1),
    adminPort: next('admin-port', 2),
    dataDir: String(values.data),
    heartbeatTimeoutMs: whole('heartbeat-timeout', 1) * 1000,
    allowTls12: values['allow-tls12'] === true,
    tlsGroups: values['tls-groups'] as string | undefined,
    logLevel: String(values['log-level']),
    admission: {
      maxConnections: whole('max-connections', 1),
      maxConnectionsPerAddress: whole('max-connections-per-address', 1),
      maxHandshakes: whole('max-handshakes', 1),
    },
  };
}
