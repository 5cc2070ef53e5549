import { z, type ZodTypeAny } from 'zod';
import { goTimeError, type GoTimeLayout } from './goTime';

/**
 * What kube's JSON decoder refuses when it reads a core object into its Go type: a value of
 * the wrong JSON type ("json: cannot unmarshal string into Go struct field
 * LeaseSpec.spec.leaseDurationSeconds of type int32") or a timestamp Go cannot parse. The
 * first such error fails the whole body, before any validation.
 */

/** The Go struct behind a zod object of coreSchemas.ts (LeaseSpec, ObjectReference...). */
const goNames = new WeakMap<ZodTypeAny, string>();

export function goStruct<T extends ZodTypeAny>(schema: T, name: string): T {
  goNames.set(schema, name);
  return schema;
}

/** A string field holding a metav1.Time or metav1.MicroTime. */
export function goTime(layout: GoTimeLayout) {
  return z.string().describe(`go:${layout}`);
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'number' : `number ${v}`;
  return typeof v;
}

function unwrap(s: ZodTypeAny): ZodTypeAny {
  if (s instanceof z.ZodOptional) return unwrap(s.unwrap());
  if (s instanceof z.ZodDefault) return unwrap(s.removeDefault());
  return s;
}

function goTypeOf(s: ZodTypeAny): string {
  const u = unwrap(s);
  if (u instanceof z.ZodObject) return `v1.${goNames.get(u) ?? 'Object'}`;
  if (u instanceof z.ZodRecord) return `map[string]${goTypeOf(u.valueSchema)}`;
  if (u instanceof z.ZodArray) return `[]${goTypeOf(u.element)}`;
  if (u instanceof z.ZodNumber) return 'int32';
  if (u instanceof z.ZodBoolean) return 'bool';
  if (u instanceof z.ZodString && u.description?.startsWith('go:'))
    return `v1.${u.description.slice(3)}`;
  return 'string';
}

export function goDecodeError(
  kindName: string,
  schema: ZodTypeAny,
  body: unknown,
): string | undefined {
  return walk(schema, body, '', kindName);
}

function walk(
  schema: ZodTypeAny,
  value: unknown,
  path: string,
  struct: string,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = unwrap(schema);
  const refuse = () =>
    `json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}.${path} of type ${goTypeOf(s)}`;
  if (s instanceof z.ZodObject) {
    if (typeof value !== 'object' || Array.isArray(value)) return path ? refuse() : undefined;
    const name = goNames.get(s) ?? struct;
    for (const [key, child] of Object.entries(s.shape as Record<string, ZodTypeAny>)) {
      const error = walk(
        child,
        (value as Record<string, unknown>)[key],
        path ? `${path}.${key}` : key,
        name,
      );
      if (error) return error;
    }
    return undefined;
  }
  if (s instanceof z.ZodRecord) {
    if (typeof value !== 'object' || Array.isArray(value)) return refuse();
    for (const v of Object.values(value as Record<string, unknown>)) {
      const error = walk(s.valueSchema, v, path, struct);
      if (error) return error;
    }
    return undefined;
  }
  if (s instanceof z.ZodArray) {
    if (!Array.isArray(value)) return refuse();
    for (const v of value) {
      const error = walk(s.element, v, path, struct);
      if (error) return error;
    }
    return undefined;
  }
  if (s instanceof z.ZodNumber)
    return typeof value === 'number' && Number.isInteger(value) ? undefined : refuse();
  if (s instanceof z.ZodBoolean) return typeof value === 'boolean' ? undefined : refuse();
  if (typeof value !== 'string') return refuse();
  if (s.description?.startsWith('go:'))
    return goTimeError(value, s.description.slice(3) as GoTimeLayout);
  return undefined;
}
