import { RFC1123_SUBDOMAIN } from '@wasmbed/plugin-wasmbed-common';
import { MAX_CHUNK_BYTES, MAX_ERROR_MESSAGE_BYTES } from './limits';
import {
  bytes,
  enumOf,
  list,
  struct,
  text,
  u64,
  uint,
  type FieldDef,
  type FieldsOf,
  type MessageDef,
} from './schema';

/** Device and app names: an RFC 1123 subdomain of at most 63 bytes. */
const name = text(63, RFC1123_SUBDOMAIN, 1, 'an RFC 1123 name');
const sha256 = bytes(32, 32);

export const APP_STATES = ['deploying', 'running', 'stopped', 'failed'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const CHUNK_STATUSES = ['ok', 'checksumMismatch', 'outOfOrder'] as const;
export const DEPLOY_ERRORS = [
  'hashMismatch',
  'invalidModule',
  'tooLarge',
  'noSlot',
  'importMissing',
  'storageFailed',
  'unknownApp',
] as const;
export const ERROR_CODES = [
  'badFrame',
  'badMessage',
  'unsupportedVersion',
  'unknownType',
  'notEnrolled',
  'unauthorized',
  'tokenInvalid',
  'tokenExpired',
  'tokenUsed',
  'rateLimited',
  'busy',
  'internal',
] as const;

const appState = struct([
  { key: 0, name: 'name', type: name, doc: 'App name.' },
  { key: 1, name: 'sha256', type: sha256, doc: 'SHA-256 of the module the slot holds.' },
  { key: 2, name: 'state', type: enumOf(APP_STATES), doc: 'App state.' },
  { key: 3, name: 'restarts', type: uint(), optional: true, doc: 'Restarts since deploy.' },
  {
    key: 4,
    name: 'error',
    type: text(256),
    optional: true,
    doc: 'Why the app failed (trap reason).',
  },
]);

const capabilities = struct([
  {
    key: 0,
    name: 'hostApiVersion',
    type: uint(0xffff),
    doc: 'Version of the `wasmbed` host module.',
  },
  { key: 1, name: 'memoryBytes', type: uint(), doc: 'RAM available to apps in total.' },
  { key: 2, name: 'maxModuleBytes', type: uint(), doc: 'Largest module one slot takes.' },
  { key: 3, name: 'maxApps', type: uint(255), doc: 'Number of app slots.' },
  {
    key: 4,
    name: 'hostFunctions',
    type: list(
      text(
        64,
        /^[A-Za-z0-9_]+\/[A-Za-z0-9_]+:\([ijfd]*\)[ijfd]*$/,
        1,
        'module/name:(params)results',
      ),
      64,
    ),
    doc: 'Host functions offered, `module/name:(params)results` with i=i32, j=i64, f=f32, d=f64.',
  },
]);

const limits = struct([
  { key: 0, name: 'memoryBytes', type: uint(), doc: 'Linear-memory cap of the app.' },
  { key: 1, name: 'fuelPerActivation', type: uint(), doc: 'Instruction budget of one activation.' },
  { key: 2, name: 'periodMs', type: uint(), optional: true, doc: 'Periodic activation interval.' },
  { key: 3, name: 'maxRestarts', type: uint(1000), optional: true, doc: 'Restarts after a trap.' },
]);

const appField = { key: 2, name: 'app', type: name, doc: 'App name.' } as const satisfies FieldDef;

/** The message catalogue of protocol version 1 (docs/protocol.md is its normative text). */
export const MESSAGES = [
  {
    type: 1,
    name: 'enroll',
    direction: 'device-to-gateway',
    doc: 'Asks for a device certificate: a CSR for the key the device made, with a bootstrap token.',
    fields: [
      { key: 2, name: 'device', type: name, doc: 'Device name, as in its Device resource.' },
      { key: 3, name: 'csr', type: bytes(1024, 1), doc: 'PKCS#10 CSR, DER, over a P-256 key.' },
      {
        key: 4,
        name: 'token',
        type: text(128, undefined, 1),
        optional: true,
        doc: 'One-time bootstrap token.',
      },
    ],
  },
  {
    type: 2,
    name: 'enrolled',
    direction: 'gateway-to-device',
    doc: 'Answers enroll or renew with the signed device certificate.',
    fields: [
      { key: 2, name: 'certificate', type: bytes(2048, 1), doc: 'X.509 certificate, DER.' },
      { key: 3, name: 'notAfter', type: u64, doc: 'Certificate expiry, Unix seconds.' },
    ],
  },
  {
    type: 3,
    name: 'hello',
    direction: 'device-to-gateway',
    doc: 'First message of a certified session: who the device is, what it can do, what it runs.',
    fields: [
      { key: 2, name: 'protocolVersion', type: uint(0xffff), doc: 'Protocol version (1).' },
      { key: 3, name: 'firmwareVersion', type: text(32, undefined, 1), doc: 'Firmware version.' },
      {
        key: 4,
        name: 'board',
        type: text(32, undefined, 1),
        doc: 'Board id from the board catalogue.',
      },
      { key: 5, name: 'capabilities', type: capabilities, doc: 'What the device offers apps.' },
      { key: 6, name: 'apps', type: list(appState, 16), doc: 'Apps in the device slots.' },
    ],
  },
  {
    type: 4,
    name: 'welcome',
    direction: 'gateway-to-device',
    doc: 'Accepts hello and sets the heartbeat interval.',
    fields: [
      { key: 2, name: 'heartbeatIntervalS', type: uint(3600), doc: 'Seconds between heartbeats.' },
      { key: 3, name: 'serverTimeMs', type: u64, doc: 'Gateway clock, Unix milliseconds.' },
    ],
  },
  {
    type: 5,
    name: 'heartbeat',
    direction: 'device-to-gateway',
    doc: 'Liveness, sent every heartbeat interval.',
    fields: [
      { key: 2, name: 'uptimeMs', type: u64, doc: 'Milliseconds since boot.' },
      { key: 3, name: 'freeBytes', type: uint(), optional: true, doc: 'Free RAM in the app pool.' },
    ],
  },
  {
    type: 6,
    name: 'heartbeatAck',
    direction: 'gateway-to-device',
    doc: 'Answers heartbeat, so the device can tell a dead session from a quiet one.',
    fields: [{ key: 2, name: 'serverTimeMs', type: u64, doc: 'Gateway clock, Unix milliseconds.' }],
  },
  {
    type: 7,
    name: 'deployBegin',
    direction: 'gateway-to-device',
    doc: 'Starts (or resumes) a deploy of one module into an app slot.',
    fields: [
      appField,
      { key: 3, name: 'sha256', type: sha256, doc: 'SHA-256 of the whole module.' },
      { key: 4, name: 'size', type: uint(), doc: 'Module size in bytes.' },
      {
        key: 5,
        name: 'chunkSize',
        type: uint(MAX_CHUNK_BYTES),
        doc: 'Bytes per chunk (the last may be shorter).',
      },
      {
        key: 6,
        name: 'config',
        type: { kind: 'textMap', maxEntries: 16, maxKeyBytes: 32, maxValueBytes: 128 },
        optional: true,
        doc: 'Configuration the app reads with config get.',
      },
      { key: 7, name: 'limits', type: limits, optional: true, doc: 'Resource limits of the app.' },
    ],
  },
  {
    type: 8,
    name: 'deployReady',
    direction: 'device-to-gateway',
    doc: 'Answers deployBegin with the offset to send from: 0, or what survived a dropped session.',
    fields: [
      appField,
      { key: 3, name: 'offset', type: uint(), doc: 'First byte the device still needs.' },
    ],
  },
  {
    type: 9,
    name: 'deployChunk',
    direction: 'gateway-to-device',
    doc: 'One chunk of module bytes.',
    fields: [
      appField,
      { key: 3, name: 'offset', type: uint(), doc: 'Offset of data in the module.' },
      { key: 4, name: 'data', type: bytes(MAX_CHUNK_BYTES, 1), doc: 'Module bytes.' },
      { key: 5, name: 'crc32', type: uint(), doc: 'CRC-32 (IEEE) of data.' },
    ],
  },
  {
    type: 10,
    name: 'deployChunkAck',
    direction: 'device-to-gateway',
    doc: 'Acknowledges a chunk; a checksum mismatch asks for it again.',
    fields: [
      appField,
      { key: 3, name: 'offset', type: uint(), doc: 'Next byte the device expects.' },
      { key: 4, name: 'status', type: enumOf(CHUNK_STATUSES), doc: 'What happened to the chunk.' },
    ],
  },
  {
    type: 11,
    name: 'deployCommit',
    direction: 'gateway-to-device',
    doc: 'All bytes sent: verify, validate and install the module.',
    fields: [
      appField,
      { key: 3, name: 'sha256', type: sha256, doc: 'SHA-256 of the whole module.' },
    ],
  },
  {
    type: 12,
    name: 'deployResult',
    direction: 'device-to-gateway',
    doc: 'Outcome of deployCommit.',
    fields: [
      appField,
      { key: 3, name: 'ok', type: { kind: 'bool' }, doc: 'Installed and started.' },
      { key: 4, name: 'error', type: enumOf(DEPLOY_ERRORS), optional: true, doc: 'Why not.' },
      { key: 5, name: 'message', type: text(256), optional: true, doc: 'Details for a person.' },
    ],
  },
  {
    type: 13,
    name: 'appStart',
    direction: 'gateway-to-device',
    doc: 'Starts an installed app.',
    fields: [appField],
  },
  {
    type: 14,
    name: 'appStop',
    direction: 'gateway-to-device',
    doc: 'Stops a running app; its slot keeps the module.',
    fields: [appField],
  },
  {
    type: 15,
    name: 'appRemove',
    direction: 'gateway-to-device',
    doc: 'Stops an app and frees its slot.',
    fields: [appField],
  },
  {
    type: 16,
    name: 'appStatus',
    direction: 'device-to-gateway',
    doc: 'State of one app: answers appStart/appStop/appRemove, and is sent unasked when an app fails.',
    fields: [
      appField,
      { key: 3, name: 'state', type: enumOf([...APP_STATES, 'removed']), doc: 'App state.' },
      { key: 4, name: 'sha256', type: sha256, optional: true, doc: 'Module the slot holds.' },
      { key: 5, name: 'restarts', type: uint(), optional: true, doc: 'Restarts since deploy.' },
      { key: 6, name: 'error', type: text(256), optional: true, doc: 'Trap or failure reason.' },
    ],
  },
  {
    type: 17,
    name: 'telemetry',
    direction: 'device-to-gateway',
    doc: 'A value an app published.',
    fields: [
      appField,
      { key: 3, name: 'topic', type: text(64, undefined, 1), doc: 'What the value measures.' },
      { key: 4, name: 'value', type: { kind: 'number' }, doc: 'The value.' },
      { key: 5, name: 'timeMs', type: u64, doc: 'Device uptime when published, ms.' },
    ],
  },
  {
    type: 18,
    name: 'log',
    direction: 'device-to-gateway',
    doc: 'A log line from the firmware or an app.',
    fields: [
      { key: 2, name: 'level', type: enumOf(LOG_LEVELS), doc: 'Severity.' },
      { key: 3, name: 'message', type: text(256), doc: 'The line.' },
      {
        key: 4,
        name: 'app',
        type: name,
        optional: true,
        doc: 'App that logged it; absent for firmware.',
      },
      { key: 5, name: 'timeMs', type: u64, optional: true, doc: 'Device uptime, ms.' },
    ],
  },
  {
    type: 19,
    name: 'command',
    direction: 'gateway-to-device',
    doc: 'A message for an app, delivered as a message-driven activation.',
    fields: [
      appField,
      { key: 3, name: 'name', type: text(32, undefined, 1), doc: 'Command name.' },
      { key: 4, name: 'payload', type: bytes(1024), optional: true, doc: 'Command argument.' },
    ],
  },
  {
    type: 20,
    name: 'commandResult',
    direction: 'device-to-gateway',
    doc: 'Answers command.',
    fields: [
      appField,
      { key: 3, name: 'ok', type: { kind: 'bool' }, doc: 'The app handled it.' },
      {
        key: 4,
        name: 'result',
        type: bytes(1024),
        optional: true,
        doc: 'Reply, or the error text.',
      },
    ],
  },
  {
    type: 21,
    name: 'renew',
    direction: 'device-to-gateway',
    doc: 'Asks for a new certificate before expiry, over the certified session.',
    fields: [{ key: 2, name: 'csr', type: bytes(1024, 1), doc: 'PKCS#10 CSR, DER.' }],
  },
  {
    type: 22,
    name: 'error',
    direction: 'both',
    doc: 'Refuses a request or reports a session-level problem.',
    fields: [
      { key: 2, name: 'code', type: enumOf(ERROR_CODES), doc: 'What went wrong.' },
      {
        key: 3,
        name: 'message',
        type: text(MAX_ERROR_MESSAGE_BYTES),
        doc: 'Details for a person.',
      },
    ],
  },
] as const satisfies readonly MessageDef[];

type Catalogue = (typeof MESSAGES)[number];
export type MessageName = Catalogue['name'];

/** A decoded message: its name, its id, and its fields. */
export type Message = {
  [M in Catalogue as M['name']]: { type: M['name']; id: number } & FieldsOf<M['fields']>;
}[MessageName];

export type MessageOf<N extends MessageName> = Extract<Message, { type: N }>;

export const MESSAGE_BY_TYPE = new Map<number, MessageDef>(MESSAGES.map(m => [m.type, m]));
export const MESSAGE_BY_NAME = new Map<string, MessageDef>(MESSAGES.map(m => [m.name, m]));
