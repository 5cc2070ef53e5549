/**
 * Writes test/vectors/protocol/{valid,malformed}/*.json. Valid vectors are encoded by the
 * codec from the messages below; malformed ones are built byte by byte, each breaking one rule
 * of docs/protocol.md. Once committed the files are the contract: the C tests read them too,
 * so regenerating must leave them unchanged unless the protocol itself changed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  encodeCbor,
  encodeFrame,
  MAX_CBOR_DEPTH,
  type CborValue,
  type Message,
} from '../../gateway/src/protocol';
import { toJson, VECTOR_DIR, type MalformedVector, type ValidVector } from '../src/vectorJson';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const seq = (n: number, start = 0) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i * 7) & 0xff);
const sha = seq(32, 0xa0);
const frameOf = (payload: Uint8Array) => {
  const f = new Uint8Array(4 + payload.length);
  new DataView(f.buffer).setUint32(0, payload.length);
  f.set(payload, 4);
  return f;
};
const bytesOf = (spaced: string) => new Uint8Array(Buffer.from(spaced.replace(/ /g, ''), 'hex'));
const raw = (entries: [number | string, CborValue][]) => frameOf(encodeCbor(new Map(entries)));

const valid: [string, string, Message][] = [
  [
    'enroll-with-token',
    'enroll carrying a CSR and a bootstrap token',
    { type: 'enroll', id: 1, device: 'dev-1', csr: seq(40, 0x30), token: 'bt-7f3a9c' },
  ],
  [
    'enroll-pinned-key',
    'enroll of a device with a pinned public key: no token',
    { type: 'enroll', id: 2, device: 'sensor.lab-3', csr: seq(64, 0x30) },
  ],
  [
    'enrolled',
    'certificate answer with a 64-bit expiry',
    { type: 'enrolled', id: 1, certificate: seq(120, 0x30), notAfter: 1_893_456_000 },
  ],
  [
    'hello-no-apps',
    'hello of a fresh device',
    {
      type: 'hello',
      id: 3,
      protocolVersion: 1,
      firmwareVersion: '0.1.0',
      board: 'mps2-an385',
      capabilities: {
        hostApiVersion: 1,
        memoryBytes: 262144,
        maxModuleBytes: 65536,
        maxApps: 4,
        hostFunctions: [],
      },
      apps: [],
    },
  ],
  [
    'hello-with-apps',
    'hello listing host functions and running, failed apps',
    {
      type: 'hello',
      id: 4,
      protocolVersion: 1,
      firmwareVersion: '0.1.0+g1a2b',
      board: 'mps2-an505',
      capabilities: {
        hostApiVersion: 1,
        memoryBytes: 262144,
        maxModuleBytes: 65536,
        maxApps: 4,
        hostFunctions: ['wasmbed/log:(iii)', 'wasmbed/time_ms:()j', 'wasmbed/publish:(iid)i'],
      },
      apps: [
        { name: 'blinky', sha256: sha, state: 'running', restarts: 0 },
        { name: 'spinner', sha256: seq(32, 1), state: 'failed', restarts: 3, error: 'out of fuel' },
      ],
    },
  ],
  [
    'welcome',
    'welcome with the heartbeat interval',
    { type: 'welcome', id: 3, heartbeatIntervalS: 30, serverTimeMs: 1_795_000_000_123 },
  ],
  ['heartbeat', 'smallest heartbeat', { type: 'heartbeat', id: 9, uptimeMs: 1000 }],
  [
    'heartbeat-large-values',
    'heartbeat with 64-bit uptime and the largest id',
    { type: 'heartbeat', id: 0xffffffff, uptimeMs: 2 ** 40, freeBytes: 70000 },
  ],
  [
    'heartbeat-ack',
    'heartbeat answer',
    { type: 'heartbeatAck', id: 9, serverTimeMs: 1_795_000_000_999 },
  ],
  [
    'deploy-begin',
    'deploy with config and limits',
    {
      type: 'deployBegin',
      id: 20,
      app: 'blinky',
      sha256: sha,
      size: 5000,
      chunkSize: 1024,
      config: { led: '2', period: '500' },
      limits: { memoryBytes: 65536, fuelPerActivation: 100000, periodMs: 500 },
    },
  ],
  [
    'deploy-begin-minimal',
    'deploy with no config or limits',
    { type: 'deployBegin', id: 21, app: 'a', sha256: sha, size: 8, chunkSize: 2048 },
  ],
  [
    'deploy-ready-resume',
    'device resumes at byte 2048',
    { type: 'deployReady', id: 20, app: 'blinky', offset: 2048 },
  ],
  [
    'deploy-chunk',
    'a 16-byte chunk with its CRC-32',
    { type: 'deployChunk', id: 22, app: 'blinky', offset: 2048, data: seq(16), crc32: 0x9ae0daaf },
  ],
  [
    'deploy-chunk-ack',
    'chunk accepted',
    { type: 'deployChunkAck', id: 22, app: 'blinky', offset: 2064, status: 'ok' },
  ],
  [
    'deploy-chunk-ack-mismatch',
    'chunk refused: CRC mismatch',
    { type: 'deployChunkAck', id: 23, app: 'blinky', offset: 2048, status: 'checksumMismatch' },
  ],
  [
    'deploy-commit',
    'commit with the module hash',
    { type: 'deployCommit', id: 24, app: 'blinky', sha256: sha },
  ],
  ['deploy-result-ok', 'installed', { type: 'deployResult', id: 24, app: 'blinky', ok: true }],
  [
    'deploy-result-error',
    'module failed validation',
    {
      type: 'deployResult',
      id: 25,
      app: 'blinky',
      ok: false,
      error: 'invalidModule',
      message: 'type mismatch in function 3',
    },
  ],
  ['app-start', 'start an app', { type: 'appStart', id: 30, app: 'blinky' }],
  ['app-stop', 'stop an app', { type: 'appStop', id: 31, app: 'blinky' }],
  ['app-remove', 'remove an app', { type: 'appRemove', id: 32, app: 'blinky' }],
  [
    'app-status-failed',
    'an app trapped',
    {
      type: 'appStatus',
      id: 33,
      app: 'blinky',
      state: 'failed',
      sha256: sha,
      restarts: 1,
      error: 'trap: integer divide by zero',
    },
  ],
  [
    'app-status-removed',
    'slot freed',
    { type: 'appStatus', id: 32, app: 'blinky', state: 'removed' },
  ],
  [
    'telemetry-float',
    'a fractional value travels as float64',
    { type: 'telemetry', id: 40, app: 'thermo', topic: 'temperature', value: 21.5, timeMs: 123456 },
  ],
  [
    'telemetry-negative-int',
    'an integral value travels as a CBOR integer',
    { type: 'telemetry', id: 41, app: 'thermo', topic: 'delta', value: -40, timeMs: 5 },
  ],
  [
    'log-firmware',
    'a firmware log line: no app',
    { type: 'log', id: 50, level: 'info', message: 'dhcp: bound 10.0.2.15' },
  ],
  [
    'log-app-utf8',
    'an app log line with non-ASCII text',
    {
      type: 'log',
      id: 51,
      level: 'warn',
      message: 'température élevée ⚠',
      app: 'thermo',
      timeMs: 99,
    },
  ],
  [
    'command',
    'a command with a payload',
    {
      type: 'command',
      id: 60,
      app: 'blinky',
      name: 'set-period',
      payload: Uint8Array.from([0x01, 0xf4]),
    },
  ],
  [
    'command-result',
    'command answer',
    {
      type: 'commandResult',
      id: 60,
      app: 'blinky',
      ok: true,
      result: Uint8Array.from([0x6f, 0x6b]),
    },
  ],
  ['renew', 'certificate renewal over the session', { type: 'renew', id: 70, csr: seq(48, 0x30) }],
  [
    'error',
    'refusal with a reason',
    { type: 'error', id: 1, code: 'tokenUsed', message: 'bootstrap token already used' },
  ],
];

const heartbeat = (
  extra: [number | string, CborValue][] = [],
  drop: (number | string)[] = [],
): [number | string, CborValue][] =>
  (
    [
      [0, 5],
      [1, 1],
      [2, 1000],
    ] as [number | string, CborValue][]
  )
    .filter(([k]) => !drop.includes(k))
    .concat(extra);
const base = hex(raw(heartbeat())); // 00000009 a3 00 05 01 01 02 1903e8
/** A heartbeat whose uptimeMs (key 2) is the given item. */
const tagged = (item: string) => hex(frameOf(bytesOf('a3 00 05 01 01 02' + item)));
/** A heartbeat carrying the given item in extension key 32, which a receiver would ignore. */
const extension = (item: string) => hex(frameOf(bytesOf('a4 00 05 01 01 02 1903e8 18 20' + item)));
/** A telemetry message (app "a", topic "t", timeMs 0) whose value is the given item. */
const telemetry = (item: string) =>
  hex(frameOf(bytesOf('a6 00 11 01 01 02 6161 03 6174 04' + item + '05 00')));

const malformed: [string, string, string, string][] = [
  ['empty-input', 'no bytes at all', '', 'TruncatedFrame'],
  ['short-length-prefix', 'three bytes of a four-byte length', '000000', 'TruncatedFrame'],
  ['truncated-payload', 'length 9, five bytes follow', '00000009a300050101', 'TruncatedFrame'],
  [
    'oversized-length',
    'declared length 4097 is over the maximum of 4096',
    '00001001',
    'FrameTooLarge',
  ],
  ['huge-length', 'declared length 0xffffffff', 'ffffffff', 'FrameTooLarge'],
  ['zero-length', 'a frame with an empty payload', '00000000', 'MalformedCbor'],
  ['trailing-bytes', 'one byte after a complete frame', base + '00', 'MalformedCbor'],
  [
    'truncated-cbor',
    'the map announces 3 pairs, holds 2 and a half',
    '00000006a30005010102',
    'MalformedCbor',
  ],
  [
    'reserved-additional-info',
    'additional information 28 is reserved',
    '000000021c00',
    'MalformedCbor',
  ],
  [
    'null-field',
    'null where a number belongs',
    hex(frameOf(Uint8Array.from([0xa3, 0x00, 0x05, 0x01, 0x01, 0x02, 0xf6]))),
    'MalformedCbor',
  ],
  [
    'tagged-field',
    'a tag (1, epoch time) on a field',
    hex(frameOf(Uint8Array.from([0xa3, 0x00, 0x05, 0x01, 0x01, 0x02, 0xc1, 0x19, 0x03, 0xe8]))),
    'MalformedCbor',
  ],
  [
    'nan-value',
    'NaN telemetry value',
    hex(
      frameOf(
        Uint8Array.from([
          0xa6, 0x00, 0x11, 0x01, 0x01, 0x02, 0x61, 0x61, 0x03, 0x61, 0x74, 0x04, 0xfb, 0x7f, 0xf8,
          0, 0, 0, 0, 0, 0, 0x05, 0x00,
        ]),
      ),
    ),
    'MalformedCbor',
  ],
  [
    'uint-beyond-2-53',
    'an integer above 2^53 cannot be represented exactly',
    hex(
      frameOf(
        Uint8Array.from([0xa3, 0x00, 0x05, 0x01, 0x01, 0x02, 0x1b, 0x00, 0x40, 0, 0, 0, 0, 0, 0]),
      ),
    ),
    'MalformedCbor',
  ],
  ['not-a-map', 'an array instead of a map', hex(frameOf(encodeCbor([5, 1, 1000]))), 'NotAMap'],
  [
    'non-shortest-integer',
    'type 5 written as 0x18 0x05',
    hex(frameOf(bytesOf('a3 00 18 05 01 01 02 19 03e8'))),
    'NonCanonicalEncoding',
  ],
  [
    'unsorted-keys',
    'key 1 before key 0',
    hex(frameOf(bytesOf('a3 01 01 00 05 02 19 03e8'))),
    'NonCanonicalEncoding',
  ],
  [
    'duplicate-key',
    'key 2 twice',
    hex(frameOf(bytesOf('a4 00 05 01 01 02 19 03e8 02 01'))),
    'NonCanonicalEncoding',
  ],
  [
    'indefinite-length-map',
    'an indefinite-length map (no indefinite lengths in the data model)',
    hex(frameOf(bytesOf('bf 00 05 01 01 02 19 03e8 ff'))),
    'MalformedCbor',
  ],
  [
    'integral-float',
    '1000 written as float64',
    hex(frameOf(bytesOf('a3 00 05 01 01 02 fb 408f400000000000'))),
    'NonCanonicalEncoding',
  ],
  [
    'invalid-utf8',
    'a text string that is not UTF-8 cannot re-encode to itself',
    hex(
      frameOf(Uint8Array.from([0xa4, 0x00, 0x12, 0x01, 0x01, 0x02, 0x01, 0x03, 0x62, 0xc3, 0x28])),
    ),
    'NonCanonicalEncoding',
  ],
  [
    'unknown-type',
    'message type 99',
    hex(
      raw([
        [0, 99],
        [1, 1],
      ]),
    ),
    'UnknownMessageType',
  ],
  ['missing-type', 'no key 0', hex(raw(heartbeat([], [0]))), 'MissingField'],
  ['missing-id', 'no key 1', hex(raw(heartbeat([], [1]))), 'MissingField'],
  [
    'missing-required-field',
    'heartbeat without uptimeMs',
    hex(raw(heartbeat([], [2]))),
    'MissingField',
  ],
  [
    'unknown-field',
    'heartbeat with key 7, below the extension range',
    hex(raw(heartbeat([[7, 1]]))),
    'UnknownField',
  ],
  [
    'wrong-type',
    'uptimeMs as text',
    hex(
      raw([
        [0, 5],
        [1, 1],
        [2, '1000'],
      ]),
    ),
    'InvalidField',
  ],
  [
    'negative-uint',
    'uptimeMs of -1',
    hex(
      raw([
        [0, 5],
        [1, 1],
        [2, -1],
      ]),
    ),
    'InvalidField',
  ],
  [
    'fraction-for-uint',
    'uptimeMs of 1000.5',
    hex(
      raw([
        [0, 5],
        [1, 1],
        [2, 1000.5],
      ]),
    ),
    'InvalidField',
  ],
  [
    'id-over-32-bits',
    'id of 2^32',
    hex(
      raw([
        [0, 5],
        [1, 2 ** 32],
        [2, 1],
      ]),
    ),
    'InvalidField',
  ],
  [
    'short-sha256',
    'deployCommit with a 31-byte hash',
    hex(
      raw([
        [0, 11],
        [1, 1],
        [2, 'a'],
        [3, seq(31)],
      ]),
    ),
    'InvalidField',
  ],
  [
    'enum-out-of-range',
    'log level 9',
    hex(
      raw([
        [0, 18],
        [1, 1],
        [2, 9],
        [3, 'x'],
      ]),
    ),
    'InvalidField',
  ],
  [
    'bad-app-name',
    'app name with an underscore and capitals',
    hex(
      raw([
        [0, 13],
        [1, 1],
        [2, 'Bad_Name'],
      ]),
    ),
    'InvalidField',
  ],
  [
    'oversized-chunk',
    'deployChunk carrying 2049 bytes',
    hex(
      raw([
        [0, 9],
        [1, 1],
        [2, 'a'],
        [3, 0],
        [4, seq(2049)],
        [5, 0],
      ]),
    ),
    'InvalidField',
  ],
  [
    'text-too-long',
    'a 257-byte log message',
    hex(
      raw([
        [0, 18],
        [1, 1],
        [2, 1],
        [3, 'x'.repeat(257)],
      ]),
    ),
    'InvalidField',
  ],
  [
    'text-key-in-struct',
    'capabilities keyed by text',
    hex(
      raw([
        [0, 3],
        [1, 1],
        [2, 1],
        [3, 'v'],
        [4, 'b'],
        [5, new Map([['hostApiVersion', 1]])],
        [6, []],
      ]),
    ),
    'InvalidField',
  ],
  [
    'too-many-apps',
    'hello listing 17 apps',
    hex(
      raw([
        [0, 3],
        [1, 1],
        [2, 1],
        [3, 'v'],
        [4, 'b'],
        [
          5,
          new Map<number, CborValue>([
            [0, 1],
            [1, 1],
            [2, 1],
            [3, 1],
            [4, []],
          ]),
        ],
        [
          6,
          Array.from(
            { length: 17 },
            (_, i) =>
              new Map<number, CborValue>([
                [0, `a${i}`],
                [1, sha],
                [2, 1],
              ]),
          ),
        ],
      ]),
    ),
    'InvalidField',
  ],
  [
    'config-value-not-text',
    'a config value that is a number',
    hex(
      raw([
        [0, 7],
        [1, 1],
        [2, 'a'],
        [3, sha],
        [4, 1],
        [5, 1],
        [6, new Map([['k', 1]])],
      ]),
    ),
    'InvalidField',
  ],
  // The data model (docs/protocol.md §3) and nothing else: each of these is a CBOR item that a
  // general decoder accepts and the protocol does not.
  [
    'g1-shared-value',
    'the G1 frame: tag 28 (shareable) holding a tag-29 reference to itself',
    '00000006d81c81d81d00',
    'MalformedCbor',
  ],
  ['tag-29-reference', 'a tag-29 shared reference as a field', tagged('d81d 00'), 'MalformedCbor'],
  [
    'tag-27-regexp',
    'tag 27 ["RegExp", "ééé("]: cbor-x compiles the pattern and throws a SyntaxError quoting it',
    hex(
      frameOf(bytesOf('d81b 82 66' + Buffer.from('RegExp').toString('hex') + '67c3a9c3a9c3a928')),
    ),
    'MalformedCbor',
  ],
  [
    'tag-wrapping-int',
    'tag 1 (epoch time, one-byte form) wrapping an integer',
    tagged('c1 1903e8'),
    'MalformedCbor',
  ],
  ['tag-wrapping-text', 'tag 0 (date text) wrapping a string', tagged('c0 6178'), 'MalformedCbor'],
  [
    'tag-wrapping-map',
    'tag 259 (two-byte form) wrapping the whole message map',
    hex(frameOf(bytesOf('d9 0103 a3 00 05 01 01 02 1903e8'))),
    'MalformedCbor',
  ],
  ['tag-23', 'tag 23, the largest one-byte tag', tagged('d7 00'), 'MalformedCbor'],
  ['tag-1-byte-argument', 'tag 24 in a one-byte argument', tagged('d8 18 4100'), 'MalformedCbor'],
  [
    'tag-55799',
    'tag 55799 (self-described CBOR) in a two-byte argument on the root',
    hex(frameOf(bytesOf('d9 d9f7 a3 00 05 01 01 02 1903e8'))),
    'MalformedCbor',
  ],
  [
    'tag-4-byte-argument',
    'tag 65536 in a four-byte argument',
    tagged('da 00010000 00'),
    'MalformedCbor',
  ],
  [
    'tag-8-byte-argument',
    'tag 2^64 - 1 in an eight-byte argument',
    tagged('db ffffffffffffffff 00'),
    'MalformedCbor',
  ],
  ['undefined-field', 'undefined where a number belongs', tagged('f7'), 'MalformedCbor'],
  ['simple-value', 'simple value 32 (two-byte form)', tagged('f8 20'), 'MalformedCbor'],
  ['float16', 'telemetry value 1.5 as float16', telemetry('f9 3e00'), 'MalformedCbor'],
  ['float32', 'telemetry value 1.5 as float32', telemetry('fa 3fc00000'), 'MalformedCbor'],
  [
    'indefinite-length-array',
    'an indefinite-length array in an extension field',
    extension('9f 00 ff'),
    'MalformedCbor',
  ],
  [
    'indefinite-length-text',
    'an indefinite-length text string as a log message',
    hex(frameOf(bytesOf('a4 00 12 01 01 02 01 03 7f 6178 ff'))),
    'MalformedCbor',
  ],
  [
    'indefinite-length-bytes',
    'an indefinite-length byte string in an extension field',
    extension('5f 4100 ff'),
    'MalformedCbor',
  ],
  [
    'nesting-past-depth-limit',
    `${MAX_CBOR_DEPTH} nested arrays in an extension field: an item at depth ${MAX_CBOR_DEPTH + 1}`,
    extension('81'.repeat(MAX_CBOR_DEPTH) + '00'),
    'MalformedCbor',
  ],
  [
    'bytes-past-payload',
    'a byte string declaring 5 bytes, 2 follow',
    extension('45 0102'),
    'MalformedCbor',
  ],
  [
    'bytes-length-wraps',
    'a byte string declaring 2^64 - 12 bytes: a decoder that adds it to its position unchecked wraps back to byte 12 and reads on',
    hex(frameOf(bytesOf('a6 00 05 01 01 02 1903e8 1820 186c 1821 5b fffffffffffffff4 00 00'))),
    'MalformedCbor',
  ],
  [
    'array-count-past-payload',
    'an array declaring 2^31 - 1 items',
    extension('9a 7fffffff 00'),
    'MalformedCbor',
  ],
  [
    'map-count-past-payload',
    'a map declaring 2^31 - 1 pairs',
    extension('ba 7fffffff 00 00'),
    'MalformedCbor',
  ],
];

function writeAll<T extends { name: string }>(kind: string, vectors: T[]) {
  const dir = path.join(VECTOR_DIR, kind);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) rmSync(path.join(dir, f));
  vectors.forEach((v, i) => {
    const file = `${String(i + 1).padStart(2, '0')}-${v.name}.json`;
    writeFileSync(path.join(dir, file), JSON.stringify(v, null, 2) + '\n');
  });
  console.log(`wrote ${vectors.length} ${kind} vectors to ${path.relative(process.cwd(), dir)}`);
}

const validVectors: ValidVector[] = valid.map(([name, description, message]) => ({
  name,
  description,
  frame: hex(encodeFrame(message)),
  message: toJson(message),
}));
validVectors.push({
  name: 'extension-key-ignored',
  description: 'heartbeat with key 40 (extension range): accepted, the key dropped',
  frame: hex(raw(heartbeat([[40, 'later']]))),
  message: { type: 'heartbeat', id: 1, uptimeMs: 1000 },
  roundTrip: false,
});
validVectors.push({
  name: 'extension-nested-to-depth-limit',
  description: `heartbeat with ${MAX_CBOR_DEPTH - 1} nested arrays in key 32: an item at depth ${MAX_CBOR_DEPTH}, the deepest accepted`,
  frame: extension('81'.repeat(MAX_CBOR_DEPTH - 1) + '00'),
  message: { type: 'heartbeat', id: 1, uptimeMs: 1000 },
  roundTrip: false,
});
writeAll('valid', validVectors);
writeAll<MalformedVector>(
  'malformed',
  malformed.map(([name, description, frame, error]) => ({ name, description, frame, error })),
);
