import { z, type ZodTypeAny } from 'zod';
import type { Cause } from '../errors';
import { setOwn } from '../json';

/**
 * Prunes, defaults and validates a value against a zod schema the way kube-apiserver treats a
 * custom resource against the CRD's structural schema generated from that same zod schema
 * (plugins/wasmbed-common toStructuralSchema): unknown fields are pruned (and reported, for
 * fieldValidation), nulls of non-nullable fields are dropped, defaults are applied, then every
 * node is checked and each failure becomes a Status cause in kube's words and field notation.
 * A zod refinement stands for its CEL twin (`x-kubernetes-validations`): it runs only when the
 * node is otherwise valid, and fails as kube reports a failed CEL rule.
 *
 * Only the zod node types the CRD generator accepts appear here; anything else is a bug.
 */

export interface StructuralResult {
  /** The pruned and defaulted value. */
  value: unknown;
  causes: Cause[];
  /** Paths of pruned unknown fields, in kube's notation (`spec.foo`). */
  unknownFields: string[];
  /**
   * The CEL twins (zod refinements) of the nodes present, to run once the schema checks are
   * done: kube evaluates a CRD's x-kubernetes-validations after, and only without, "blocking"
   * schema errors (see validateObject.ts).
   */
  celChecks: { path: string; value: unknown; check: (value: unknown) => string[] }[];
  /**
   * Stripped from a path where kube names it "in body": on /status kube validates the status
   * object alone, so it says `certificate.x in body` for the field `status.certificate.x`.
   */
  bodyRoot: string;
}

function inBody(path: string, out: StructuralResult): string {
  return out.bodyRoot && path.startsWith(out.bodyRoot) ? path.slice(out.bodyRoot.length) : path;
}

export function validateStructural(
  schema: ZodTypeAny,
  value: unknown,
  path: string,
  bodyRoot = '',
): StructuralResult {
  const out: StructuralResult = {
    value: undefined,
    causes: [],
    unknownFields: [],
    celChecks: [],
    bodyRoot,
  };
  out.value = walk(schema, value, path, out);
  return out;
}

/** The JSON type name kube prints in type errors. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** kube quotes strings and prints other scalars bare in "Invalid value: X". */
export function printValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return `"${jsonType(value)}"`;
}

function typeError(
  path: string,
  expected: string,
  value: unknown,
  out: StructuralResult,
): undefined {
  out.causes.push({
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: "${jsonType(value)}": ${inBody(path, out)} in body must be of type ${expected}: "${jsonType(value)}"`,
    field: path,
  });
  return undefined;
}

function invalid(path: string, value: unknown, why: string, out: StructuralResult): void {
  out.causes.push({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${printValue(value)}: ${why}`,
    field: path,
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(schema: ZodTypeAny, value: unknown, path: string, out: StructuralResult): unknown {
  if (schema instanceof z.ZodOptional)
    return value === undefined ? undefined : walk(schema.unwrap(), value, path, out);
  if (schema instanceof z.ZodDefault) {
    const v = value === undefined ? structuredClone(schema._def.defaultValue()) : value;
    return walk(schema.removeDefault(), v, path, out);
  }
  if (schema instanceof z.ZodEffects) {
    const inner = walk(schema.innerType(), value, path, out);
    const effect = schema._def.effect;
    if (inner !== undefined && effect.type === 'refinement') {
      out.celChecks.push({ path, value: inner, check: v => runRefinement(effect.refinement, v) });
    }
    return inner;
  }
  if (schema instanceof z.ZodObject) {
    if (!isPlainObject(value)) return typeError(path, 'object', value, out);
    const shape = schema.shape as Record<string, ZodTypeAny>;
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key))
        out.unknownFields.push(join(path, key));
    }
    for (const [key, child] of Object.entries(shape)) {
      const own = Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
      // Nulls of non-nullable fields are pruned before defaulting, as kube does for CRs.
      const given = own === null ? undefined : own;
      if (given === undefined && !child.isOptional()) {
        out.causes.push({
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: join(path, key),
        });
        continue;
      }
      const v = walk(child, given, join(path, key), out);
      if (v !== undefined) setOwn(result, key, v);
    }
    return result;
  }
  if (schema instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return typeError(path, 'object', value, out);
    const result: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === null) continue;
      const child = walk(schema.valueSchema, v, join(path, key), out);
      if (child !== undefined) setOwn(result, key, child);
    }
    return result;
  }
  if (schema instanceof z.ZodArray) {
    if (!Array.isArray(value)) return typeError(path, 'array', value, out);
    const min = schema._def.minLength?.value;
    const max = schema._def.maxLength?.value;
    if (max !== undefined && value.length > max) {
      out.causes.push({
        reason: 'FieldValueTooMany',
        message: `Too many: ${value.length}: must have at most ${max} items`,
        field: path,
      });
      return value;
    }
    if (min !== undefined && value.length < min) {
      invalid(
        path,
        value.length,
        `${inBody(path, out)} in body should have at least ${min} items`,
        out,
      );
    }
    return value.map((item, i) => walk(schema.element, item, `${path}[${i}]`, out));
  }
  if (schema instanceof z.ZodString) return checkString(schema, value, path, out);
  if (schema instanceof z.ZodNumber) return checkNumber(schema, value, path, out);
  if (schema instanceof z.ZodBoolean) {
    return typeof value === 'boolean' ? value : typeError(path, 'boolean', value, out);
  }
  if (schema instanceof z.ZodEnum || schema instanceof z.ZodLiteral) {
    const options: unknown[] = schema instanceof z.ZodEnum ? [...schema.options] : [schema.value];
    const expected = typeof options[0];
    // kube reports a wrong type and then, separately, the value outside the enum; its list
    // of supported values quotes every one (`supported values: "true"`).
    if (typeof value !== expected) typeError(path, expected, value, out);
    if (!options.includes(value)) {
      out.causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${printValue(value)}: supported values: ${options.map(o => JSON.stringify(String(o))).join(', ')}`,
        field: path,
      });
    }
    return value;
  }
  throw new Error(
    `structural validation: unsupported zod node ${schema.constructor.name} at ${path}`,
  );
}

/** Runs a zod refinement by itself (not through parse, which skips it after other issues). */
function runRefinement(
  refinement: (value: unknown, ctx: z.RefinementCtx) => unknown,
  value: unknown,
): string[] {
  const messages: string[] = [];
  const ctx = {
    addIssue: (issue: { message?: string }) => messages.push(issue.message ?? 'Invalid input'),
    path: [],
  } as unknown as z.RefinementCtx;
  try {
    refinement(value, ctx);
  } catch (error) {
    messages.push(String(error));
  }
  return messages;
}

/** Whether a schema carries any refinement (a CRD with x-kubernetes-validations). */
export function hasCelRules(schema: ZodTypeAny): boolean {
  if (schema instanceof z.ZodEffects) return true;
  if (schema instanceof z.ZodOptional) return hasCelRules(schema.unwrap());
  if (schema instanceof z.ZodDefault) return hasCelRules(schema.removeDefault());
  if (schema instanceof z.ZodObject) {
    return Object.values(schema.shape as Record<string, ZodTypeAny>).some(hasCelRules);
  }
  if (schema instanceof z.ZodRecord) return hasCelRules(schema.valueSchema);
  if (schema instanceof z.ZodArray) return hasCelRules(schema.element);
  return false;
}

function checkString(
  schema: z.ZodString,
  value: unknown,
  path: string,
  out: StructuralResult,
): unknown {
  if (typeof value !== 'string') return typeError(path, 'string', value, out);
  const checks = schema._def.checks;
  const length = [...value].length;
  // Like kube's OpenAPI string validator: maxLength, then minLength, then pattern, and only
  // the first that fails is reported. A format is a separate check.
  const max = checks.find(c => c.kind === 'max');
  const min = checks.find(c => c.kind === 'min');
  const pattern = checks.find(c => c.kind === 'regex');
  if (max && max.kind === 'max' && length > max.value) {
    out.causes.push({
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${max.value} bytes`,
      field: path,
    });
  } else if (min && min.kind === 'min' && length < min.value) {
    invalid(
      path,
      value,
      `${inBody(path, out)} in body should be at least ${min.value} chars long`,
      out,
    );
  } else if (pattern && pattern.kind === 'regex' && !pattern.regex.test(value)) {
    invalid(
      path,
      value,
      `${inBody(path, out)} in body should match '${pattern.regex.source}'`,
      out,
    );
  }
  for (const check of checks) {
    if (
      check.kind === 'datetime' &&
      !z.string().datetime({ offset: true }).safeParse(value).success
    ) {
      invalid(
        path,
        value,
        `${inBody(path, out)} in body must be of type date-time: ${JSON.stringify(value)}`,
        out,
      );
    } else if (check.kind === 'url' && !z.string().url().safeParse(value).success) {
      invalid(
        path,
        value,
        `${inBody(path, out)} in body must be of type uri: ${JSON.stringify(value)}`,
        out,
      );
    }
  }
  return value;
}

function checkNumber(
  schema: z.ZodNumber,
  value: unknown,
  path: string,
  out: StructuralResult,
): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return typeError(path, schema.isInt ? 'integer' : 'number', value, out);
  }
  if (schema.isInt && !Number.isInteger(value)) return typeError(path, 'integer', value, out);
  for (const check of schema._def.checks) {
    if (check.kind === 'min' && value < check.value) {
      invalid(
        path,
        value,
        `${inBody(path, out)} in body should be greater than or equal to ${check.value}`,
        out,
      );
    } else if (check.kind === 'max' && value > check.value) {
      invalid(
        path,
        value,
        `${inBody(path, out)} in body should be less than or equal to ${check.value}`,
        out,
      );
    }
  }
  return value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
