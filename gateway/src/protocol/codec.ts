import { decodeCbor, encodeCbor, type CborValue } from './cbor';
import { ProtocolError } from './errors';
import { FIRST_EXTENSION_KEY, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './limits';
import { MESSAGE_BY_NAME, MESSAGE_BY_TYPE, type Message } from './messages';
import type { FieldDef, FieldType } from './schema';

export const TYPE_KEY = 0;
export const ID_KEY = 1;
const MAX_ID = 0xffffffff;

const utf8 = new TextEncoder();

/** Decodes and strictly validates one CBOR payload (a frame without its length prefix). */
export function decodeMessage(payload: Uint8Array): Message {
  if (payload.length === 0) throw new ProtocolError('MalformedCbor', 'empty payload');
  if (payload.length > MAX_FRAME_BYTES) {
    throw new ProtocolError(
      'FrameTooLarge',
      `payload of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`,
    );
  }
  const root = decodeCbor(payload);
  if (!(root instanceof Map)) throw new ProtocolError('NotAMap', 'a message is a CBOR map');
  const type = root.get(TYPE_KEY);
  if (typeof type !== 'number' || !Number.isInteger(type) || type < 0) {
    throw new ProtocolError('MissingField', 'key 0 (message type) must be an unsigned integer');
  }
  const def = MESSAGE_BY_TYPE.get(type);
  if (!def) throw new ProtocolError('UnknownMessageType', `message type ${type} is not known`);
  const id = root.get(ID_KEY);
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw new ProtocolError(
      id === undefined ? 'MissingField' : 'InvalidField',
      `${def.name}.id (key 1) must be a uint32`,
    );
  }
  const fields = readStruct(root, def.fields, def.name, true);
  return { type: def.name, id, ...fields } as Message;
}

/** Validates and encodes a message in the protocol's one canonical encoding. */
export function encodeMessage(message: Message): Uint8Array {
  const def = MESSAGE_BY_NAME.get(message.type);
  if (!def)
    throw new ProtocolError('UnknownMessageType', `no message named ${String(message.type)}`);
  if (!Number.isInteger(message.id) || message.id < 0 || message.id > MAX_ID) {
    throw new ProtocolError('InvalidField', `${def.name}.id must be a uint32`);
  }
  const map = writeStruct(message as unknown as Record<string, unknown>, def.fields, def.name);
  map.set(TYPE_KEY, def.type);
  map.set(ID_KEY, message.id);
  const payload = encodeCbor(map);
  if (payload.length > MAX_FRAME_BYTES) {
    throw new ProtocolError(
      'FrameTooLarge',
      `${def.name} encodes to ${payload.length} bytes, over ${MAX_FRAME_BYTES}`,
    );
  }
  return payload;
}

/** A whole frame: u32 big-endian length, then the payload. */
export function encodeFrame(message: Message): Uint8Array {
  const payload = encodeMessage(message);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Decodes a buffer that must hold exactly one frame. */
export function decodeFrame(frame: Uint8Array): Message {
  if (frame.length < FRAME_HEADER_BYTES) {
    throw new ProtocolError(
      'TruncatedFrame',
      `${frame.length} bytes is shorter than the 4-byte length prefix`,
    );
  }
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (length > MAX_FRAME_BYTES) {
    throw new ProtocolError(
      'FrameTooLarge',
      `declared length ${length} exceeds ${MAX_FRAME_BYTES}`,
    );
  }
  const available = frame.length - FRAME_HEADER_BYTES;
  if (available < length) {
    throw new ProtocolError(
      'TruncatedFrame',
      `declared length ${length}, only ${available} bytes follow`,
    );
  }
  if (available > length) {
    throw new ProtocolError('MalformedCbor', `${available - length} bytes after the frame`);
  }
  return decodeMessage(frame.subarray(FRAME_HEADER_BYTES));
}

function readStruct(
  map: Map<number | string, CborValue>,
  fields: readonly FieldDef[],
  path: string,
  isEnvelope = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of map.keys()) {
    if (typeof key !== 'number')
      throw new ProtocolError('InvalidField', `${path}: keys must be unsigned integers`);
    if (key >= FIRST_EXTENSION_KEY) continue;
    if (isEnvelope && (key === TYPE_KEY || key === ID_KEY)) continue;
    if (!fields.some(f => f.key === key))
      throw new ProtocolError('UnknownField', `${path}: unknown key ${key}`);
  }
  for (const field of fields) {
    const raw = map.get(field.key);
    const at = `${path}.${field.name}`;
    if (raw === undefined) {
      if (!field.optional)
        throw new ProtocolError('MissingField', `${at} (key ${field.key}) is required`);
      continue;
    }
    out[field.name] = readValue(raw, field.type, at);
  }
  return out;
}

function invalid(at: string, what: string): never {
  throw new ProtocolError('InvalidField', `${at} ${what}`);
}

function readValue(raw: CborValue, type: FieldType, at: string): unknown {
  switch (type.kind) {
    case 'uint':
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0)
        invalid(at, 'must be an unsigned integer');
      if (raw > type.max) invalid(at, `must be at most ${type.max}`);
      return raw;
    case 'number':
      if (typeof raw !== 'number') invalid(at, 'must be a number');
      return raw;
    case 'bool':
      if (typeof raw !== 'boolean') invalid(at, 'must be true or false');
      return raw;
    case 'text':
      if (typeof raw !== 'string') invalid(at, 'must be a text string');
      checkText(raw, type, at);
      return raw;
    case 'bytes':
      if (!(raw instanceof Uint8Array)) invalid(at, 'must be a byte string');
      checkLength(raw.length, type.minBytes ?? 0, type.maxBytes, at, 'bytes');
      return Uint8Array.from(raw);
    case 'enum':
      if (
        typeof raw !== 'number' ||
        !Number.isInteger(raw) ||
        raw < 0 ||
        raw >= type.values.length
      ) {
        invalid(at, `must be an enum index below ${type.values.length}`);
      }
      return type.values[raw];
    case 'textMap': {
      if (!(raw instanceof Map)) invalid(at, 'must be a map of text to text');
      if (raw.size > type.maxEntries) invalid(at, `has more than ${type.maxEntries} entries`);
      const out: Record<string, string> = {};
      for (const [k, v] of raw) {
        if (typeof k !== 'string' || typeof v !== 'string') invalid(at, 'must map text to text');
        checkLength(utf8.encode(k).length, 1, type.maxKeyBytes, `${at} key`, 'bytes');
        checkLength(utf8.encode(v).length, 0, type.maxValueBytes, `${at}.${k}`, 'bytes');
        // Defined, not assigned: `out['__proto__'] = v` would set the prototype and lose the
        // entry, and a config key is the peer's text.
        Object.defineProperty(out, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(raw)) invalid(at, 'must be an array');
      if (raw.length > type.maxItems) invalid(at, `has more than ${type.maxItems} items`);
      return raw.map((item, i) => readValue(item, type.of, `${at}[${i}]`));
    case 'struct':
      if (!(raw instanceof Map)) invalid(at, 'must be a map');
      return readStruct(raw, type.fields, at);
  }
}

function checkText(value: string, type: Extract<FieldType, { kind: 'text' }>, at: string): void {
  checkLength(utf8.encode(value).length, type.minBytes ?? 0, type.maxBytes, at, 'bytes of UTF-8');
  if (type.pattern && !type.pattern.test(value)) invalid(at, `must match ${type.pattern.source}`);
}

function checkLength(length: number, min: number, max: number, at: string, unit: string): void {
  if (length < min) invalid(at, `must be at least ${min} ${unit}`);
  if (length > max) invalid(at, `must be at most ${max} ${unit}`);
}

function writeStruct(
  value: Record<string, unknown>,
  fields: readonly FieldDef[],
  path: string,
): Map<number | string, CborValue> {
  const map = new Map<number | string, CborValue>();
  for (const field of fields) {
    const v = value[field.name];
    const at = `${path}.${field.name}`;
    if (v === undefined) {
      if (!field.optional) throw new ProtocolError('MissingField', `${at} is required`);
      continue;
    }
    map.set(field.key, writeValue(v, field.type, at));
  }
  return map;
}

function writeValue(v: unknown, type: FieldType, at: string): CborValue {
  switch (type.kind) {
    case 'uint':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > type.max) {
        invalid(at, `must be an unsigned integer at most ${type.max}`);
      }
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) invalid(at, 'must be a finite number');
      return Object.is(v, -0) ? 0 : v;
    case 'bool':
      if (typeof v !== 'boolean') invalid(at, 'must be true or false');
      return v;
    case 'text':
      if (typeof v !== 'string') invalid(at, 'must be a string');
      checkText(v, type, at);
      return v;
    case 'bytes':
      if (!(v instanceof Uint8Array)) invalid(at, 'must be a Uint8Array');
      checkLength(v.length, type.minBytes ?? 0, type.maxBytes, at, 'bytes');
      return v;
    case 'enum': {
      const index = type.values.indexOf(v as string);
      if (index < 0) invalid(at, `must be one of ${type.values.join(', ')}`);
      return index;
    }
    case 'textMap': {
      if (typeof v !== 'object' || v === null) invalid(at, 'must be an object of strings');
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length > type.maxEntries) invalid(at, `has more than ${type.maxEntries} entries`);
      const map = new Map<string, CborValue>();
      for (const [k, s] of entries) {
        if (typeof s !== 'string') invalid(`${at}.${k}`, 'must be a string');
        checkLength(utf8.encode(k).length, 1, type.maxKeyBytes, `${at} key`, 'bytes');
        checkLength(utf8.encode(s).length, 0, type.maxValueBytes, `${at}.${k}`, 'bytes');
        map.set(k, s);
      }
      return map;
    }
    case 'list':
      if (!Array.isArray(v)) invalid(at, 'must be an array');
      if (v.length > type.maxItems) invalid(at, `has more than ${type.maxItems} items`);
      return v.map((item, i) => writeValue(item, type.of, `${at}[${i}]`));
    case 'struct':
      if (typeof v !== 'object' || v === null) invalid(at, 'must be an object');
      return writeStruct(v as Record<string, unknown>, type.fields, at);
  }
}
