import { badRequest, DecodeError, invalid, type Cause } from '../errors';
import { goDecodeError } from './goDecode';
import type { KindStrategy } from '../kinds';
import type { KubeObject, RequestContext } from '../types';
import { META_ORDER } from '../json';
import { validateObjectMeta } from './objectMeta';
import { printValue, validateStructural } from './structuralValidator';

const BLOCKING = new Set([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

/** The ObjectMeta fields kube knows; anything else in metadata is an unknown field. */
const META_FIELDS = new Set(META_ORDER);

/**
 * Prunes unknown fields (reporting them per fieldValidation: Strict refuses with 400 as kube's
 * strict decoder does, Warn adds `unknown field "..."` warnings), applies defaults, and
 * validates metadata, the kind's schema and its rules. Mutates `object` into its pruned and
 * defaulted form; throws 422 Invalid with every cause found.
 */
export function admitObject(
  strategy: KindStrategy,
  object: KubeObject,
  old: KubeObject | undefined,
  ctx: RequestContext,
  statusWrite = false,
): void {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') body[k] = v;
  }
  if (!strategy.custom) {
    // A core kind is decoded into its Go type first: a wrong type or timestamp fails there.
    const decodeFailure = goDecodeError(strategy.resource.kind, strategy.body, body);
    if (decodeFailure) throw new DecodeError(strategy.resource, decodeFailure);
  }
  const result = validateStructural(strategy.body, body, '', statusWrite ? 'status.' : '');
  const unknown = [
    ...Object.keys(object.metadata)
      .filter(k => !META_FIELDS.has(k))
      .map(k => `metadata.${k}`),
    ...result.unknownFields,
  ];
  for (const k of Object.keys(object.metadata)) if (!META_FIELDS.has(k)) delete object.metadata[k];
  if (unknown.length > 0) {
    if (ctx.fieldValidation === 'Strict') {
      // kube's strict decoder refuses the body before any validation runs.
      const r = strategy.resource;
      throw badRequest(
        `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: strict decoding error: ${unknown.map(f => `unknown field "${f}"`).join(', ')}`,
      );
    }
    if (ctx.fieldValidation === 'Warn')
      for (const f of unknown) ctx.warnings.push(`unknown field "${f}"`);
  }
  for (const k of Object.keys(body)) delete object[k];
  Object.assign(object, result.value as Record<string, unknown>);

  const causes: Cause[] = [];
  const name = object.metadata.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  }
  // kube's ObjectMeta omits empty maps and lists (Go's omitempty): `labels: {}` is no labels.
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
    const v = object.metadata[k] as unknown;
    if (v === null || (Array.isArray(v) && v.length === 0) || isEmptyMap(v))
      delete object.metadata[k];
  }
  causes.push(...validateObjectMeta(object.metadata, strategy.nameRule));
  causes.push(...result.causes);
  if (result.causes.length === 0) causes.push(...strategy.validate(object, old));
  if (strategy.celRules) {
    // kube runs a CRD's CEL rules only when no "blocking" error (wrong type, unsupported
    // value, missing, too long, too many) came before, and says so when it skips them.
    if (causes.some(c => BLOCKING.has(c.reason))) {
      causes.push({
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        field: '<nil>',
      });
    } else {
      for (const rule of result.celChecks) {
        for (const message of rule.check(rule.value)) {
          causes.push({
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${printValue(rule.value)}: ${message}`,
            field: rule.path,
          });
        }
      }
    }
  }
  if (old && old.metadata.deletionTimestamp) {
    const before = new Set(old.metadata.finalizers ?? []);
    const added = (object.metadata.finalizers ?? []).filter(f => !before.has(f));
    if (added.length > 0) {
      causes.push({
        reason: 'FieldValueForbidden',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(f => JSON.stringify(f)).join(', ')}}`,
        field: 'metadata.finalizers',
      });
      // kube checks this twice (generic ObjectMeta update validation and the strategy's),
      // and reports it twice.
      causes.push({ ...causes[causes.length - 1]! });
    }
  }
  if (causes.length > 0)
    throw invalid(strategy.resource, typeof name === 'string' ? name : '', causes);
}

function isEmptyMap(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}
