import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Golden protocol vectors, shared by the TypeScript and C tests. JSON cannot hold bytes, so a
 * byte string is written {"$bytes": "<hex>"}; everything else is plain JSON.
 */
export const VECTOR_DIR = path.resolve(__dirname, '../vectors/protocol');

export interface ValidVector {
  name: string;
  description: string;
  frame: string;
  message: unknown;
  /** False when decoding drops something (an extension key), so re-encoding gives other bytes. */
  roundTrip?: boolean;
}

export interface MalformedVector {
  name: string;
  description: string;
  frame: string;
  error: string;
}

export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

export function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.$bytes === 'string' && Object.keys(obj).length === 1) {
      return new Uint8Array(Buffer.from(obj.$bytes, 'hex'));
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}

function load<T>(kind: 'valid' | 'malformed'): T[] {
  const dir = path.join(VECTOR_DIR, kind);
  return readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort()
    .map(f => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as T);
}

export const loadValidVectors = () => load<ValidVector>('valid');
export const loadMalformedVectors = () => load<MalformedVector>('malformed');
