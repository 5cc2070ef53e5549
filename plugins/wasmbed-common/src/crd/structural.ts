import { z, type ZodTypeAny } from 'zod';
import { crdFactsOf } from './annotations';

/** A node of a Kubernetes structural OpenAPI v3 schema (the subset CRDs accept). */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  enum?: (string | number | boolean)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
  'x-kubernetes-list-type'?: 'map' | 'atomic' | 'set';
  'x-kubernetes-list-map-keys'?: string[];
}

export class UnsupportedSchemaError extends Error {
  constructor(path: string, what: string) {
    super(`cannot express ${what} at ${path || '<root>'} as a structural CRD schema`);
    this.name = 'UnsupportedSchemaError';
  }
}

/**
 * Converts a zod schema into a structural schema: every node typed, no $ref, no unions.
 * Refinements cannot be translated, so each one must carry a CEL twin through withCrdFacts.
 */
export function toStructuralSchema(schema: ZodTypeAny, path = ''): JSONSchemaProps {
  const out = convert(schema, path);
  return out;
}

function convert(schema: ZodTypeAny, path: string): JSONSchemaProps {
  const facts = crdFactsOf(schema);
  const description = schema.description;
  let node: JSONSchemaProps;

  if (schema instanceof z.ZodOptional) {
    node = convert(schema.unwrap(), path);
  } else if (schema instanceof z.ZodDefault) {
    node = { ...convert(schema.removeDefault(), path), default: schema._def.defaultValue() };
  } else if (schema instanceof z.ZodEffects) {
    node = convert(schema.innerType(), path);
    if (!facts?.celRules?.length)
      throw new UnsupportedSchemaError(path, 'a refinement without a CEL rule');
  } else if (schema instanceof z.ZodObject) {
    const properties: Record<string, JSONSchemaProps> = {};
    const required: string[] = [];
    for (const [key, value] of Object.entries(schema.shape as Record<string, ZodTypeAny>)) {
      properties[key] = convert(value, `${path}.${key}`);
      if (!value.isOptional()) required.push(key);
    }
    node = { type: 'object', properties };
    if (required.length) node.required = required;
  } else if (schema instanceof z.ZodRecord) {
    node = { type: 'object', additionalProperties: convert(schema.valueSchema, `${path}[*]`) };
  } else if (schema instanceof z.ZodArray) {
    node = { type: 'array', items: convert(schema.element, `${path}[]`) };
    if (schema._def.minLength) node.minItems = schema._def.minLength.value;
    if (schema._def.maxLength) node.maxItems = schema._def.maxLength.value;
  } else if (schema instanceof z.ZodString) {
    node = { type: 'string' };
    for (const check of schema._def.checks) {
      if (check.kind === 'min') node.minLength = check.value;
      else if (check.kind === 'max') node.maxLength = check.value;
      else if (check.kind === 'regex') node.pattern = check.regex.source;
      else if (check.kind === 'datetime') node.format = 'date-time';
      else if (check.kind === 'url') node.format = 'uri';
      else throw new UnsupportedSchemaError(path, `string check ${check.kind}`);
    }
  } else if (schema instanceof z.ZodNumber) {
    node = { type: schema.isInt ? 'integer' : 'number' };
    if (schema.isInt) node.format = 'int64';
    for (const check of schema._def.checks) {
      if (check.kind === 'min') node.minimum = check.value;
      else if (check.kind === 'max') node.maximum = check.value;
      else if (check.kind !== 'int')
        throw new UnsupportedSchemaError(path, `number check ${check.kind}`);
    }
  } else if (schema instanceof z.ZodBoolean) {
    node = { type: 'boolean' };
  } else if (schema instanceof z.ZodEnum) {
    node = { type: 'string', enum: [...(schema.options as string[])] };
  } else if (schema instanceof z.ZodLiteral) {
    const value = schema.value as unknown;
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') {
      throw new UnsupportedSchemaError(path, `a ${type} literal`);
    }
    node = {
      type: type as 'string' | 'number' | 'boolean',
      enum: [value as string | number | boolean],
    };
  } else {
    throw new UnsupportedSchemaError(path, schema.constructor.name);
  }

  if (description) node.description = description;
  if (facts?.celRules?.length) node['x-kubernetes-validations'] = facts.celRules;
  if (facts?.listMapKeys) {
    node['x-kubernetes-list-type'] = 'map';
    node['x-kubernetes-list-map-keys'] = facts.listMapKeys;
  }
  return node;
}
