import type { Cause } from '../errors';
import type { KubeObject } from '../types';
import { printValue } from './structuralValidator';

/**
 * Rules of the core kinds beyond their shape, in the words of kube's Go validation
 * (pkg/apis/core/validation): config keys, base64 data, size limits, immutability.
 */

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
/** kube's total size limit of a ConfigMap's or Secret's data. */
const MAX_DATA_BYTES = 1024 * 1024;

function keyProblems(field: string, keys: string[]): Cause[] {
  const out: Cause[] = [];
  for (const key of keys) {
    const at = `${field}[${key}]`;
    if (key.length > 253) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${printValue(key)}: must be no more than 253 characters`,
        field: at,
      });
    }
    if (!CONFIG_KEY.test(key)) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${printValue(key)}: ${CONFIG_KEY_MSG}`,
        field: at,
      });
    } else if (key === '.' || key === '..' || key.startsWith('..')) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${printValue(key)}: must not be '.' or '..' or start with '..'`,
        field: at,
      });
    }
  }
  return out;
}

function immutability(object: KubeObject, old: KubeObject | undefined, fields: string[]): Cause[] {
  if (!old || old.immutable !== true) return [];
  const out: Cause[] = [];
  if (object.immutable !== true) {
    out.push({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: field is immutable when `immutable` is set',
      field: 'immutable',
    });
  }
  for (const f of fields) {
    if (JSON.stringify(object[f] ?? {}) !== JSON.stringify(old[f] ?? {})) {
      out.push({
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field: f,
      });
    }
  }
  return out;
}

function size(
  field: string,
  maps: (Record<string, string> | undefined)[],
  decode: boolean,
): Cause[] {
  let total = 0;
  for (const m of maps) {
    for (const [k, v] of Object.entries(m ?? {}))
      total += k.length + (decode ? Math.floor((v.length * 3) / 4) : v.length);
  }
  return total > MAX_DATA_BYTES
    ? [
        {
          reason: 'FieldValueTooLong',
          message: `Too long: may not be more than ${MAX_DATA_BYTES} bytes`,
          field,
        },
      ]
    : [];
}

export const coreRules: Record<string, (o: KubeObject, old: KubeObject | undefined) => Cause[]> = {
  ConfigMap: (o, old) => {
    const data = o.data as Record<string, string> | undefined;
    const binary = o.binaryData as Record<string, string> | undefined;
    const out = [
      ...keyProblems('data', Object.keys(data ?? {})),
      ...keyProblems('binaryData', Object.keys(binary ?? {})),
    ];
    for (const key of Object.keys(binary ?? {})) {
      if (data && key in data) {
        out.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${printValue(key)}: duplicate of key present in data`,
          field: `binaryData[${key}]`,
        });
      }
    }
    // kube reports a ConfigMap's total size at the empty path, printed "[]".
    out.push(...size('[]', [data, binary], false), ...immutability(o, old, ['data', 'binaryData']));
    return out;
  },
  Secret: (o, old) => {
    const data = o.data as Record<string, string> | undefined;
    const out = keyProblems('data', Object.keys(data ?? {}));
    out.push(...size('data', [data], true), ...immutability(o, old, ['data']));
    if (old && old.type !== o.type) {
      out.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${printValue(o.type)}: field is immutable`,
        field: 'type',
      });
    }
    return out;
  },
};

/**
 * Where Go's base64 decoder gives up on `value` (kube decodes Secret data and ConfigMap
 * binaryData as []byte while reading the body), or undefined when it decodes.
 */
export function base64ErrorOffset(value: string): number | undefined {
  const bad = /[^A-Za-z0-9+/=]/.exec(value);
  if (bad) return bad.index;
  const pad = value.indexOf('=');
  if (pad >= 0 && !/^={1,2}$/.test(value.slice(pad))) return pad;
  if (value.length % 4 !== 0) return value.length - (value.length % 4);
  if (pad >= 0 && pad < value.length - 2) return pad;
  return undefined;
}
