import type { Cause } from '../errors';
import { printValue } from './structuralValidator';
import type { ObjectMetaJson } from '../types';

/**
 * kube's ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation): names, labels,
 * annotations, finalizers; messages as kube-apiserver words them.
 */

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

export type NameRule = 'subdomain' | 'label';

/** The messages kube gives for a name that breaks `rule` (empty when valid). */
export function nameProblems(name: string, rule: NameRule): string[] {
  const out: string[] = [];
  const max = rule === 'label' ? 63 : 253;
  if (name.length > max) out.push(`must be no more than ${max} characters`);
  const ok = rule === 'label' ? DNS1123_LABEL.test(name) : DNS1123_SUBDOMAIN.test(name);
  if (!ok) out.push(rule === 'label' ? LABEL_MSG : SUBDOMAIN_MSG);
  return out;
}

/** Label and annotation keys: `[prefix/]name` (qualified names). */
function qualifiedNameProblems(key: string): string[] {
  const out: string[] = [];
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) out.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) out.push(`prefix part ${SUBDOMAIN_MSG}`);
    }
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else {
    if (name.length > 63) out.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME_PART.test(name)) out.push(NAME_PART_MSG);
  }
  return out;
}

const invalid = (field: string, value: unknown, message: string): Cause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${printValue(value)}: ${message}`,
  field,
});

/** Checks the user-settable parts of metadata; `name` is checked only when present. */
export function validateObjectMeta(meta: ObjectMetaJson, rule: NameRule): Cause[] {
  const causes: Cause[] = [];
  if (typeof meta.generateName === 'string' && meta.generateName !== '') {
    // generateName is checked as a prefix: a trailing "-" stands for the suffix to come.
    const masked = meta.generateName.replace(/-$/, 'a');
    for (const msg of nameProblems(masked, rule)) {
      causes.push(invalid('metadata.generateName', meta.generateName, msg));
    }
  }
  if (typeof meta.name === 'string' && meta.name !== '') {
    for (const msg of nameProblems(meta.name, rule))
      causes.push(invalid('metadata.name', meta.name, msg));
  }
  if (meta.labels !== undefined) {
    if (!isStringMap(meta.labels)) {
      causes.push(invalid('metadata.labels', meta.labels, 'must be a map of strings'));
    } else {
      for (const [key, value] of Object.entries(meta.labels)) {
        for (const msg of qualifiedNameProblems(key))
          causes.push(invalid('metadata.labels', key, msg));
        if (value.length > 63)
          causes.push(invalid('metadata.labels', value, 'must be no more than 63 characters'));
        if (!LABEL_VALUE.test(value))
          causes.push(invalid('metadata.labels', value, LABEL_VALUE_MSG));
      }
    }
  }
  if (meta.annotations !== undefined) {
    if (!isStringMap(meta.annotations)) {
      causes.push(invalid('metadata.annotations', meta.annotations, 'must be a map of strings'));
    } else {
      let total = 0;
      for (const [key, value] of Object.entries(meta.annotations)) {
        for (const msg of qualifiedNameProblems(key.toLowerCase()))
          causes.push(invalid('metadata.annotations', key, msg));
        total += key.length + value.length;
      }
      if (total > 256 * 1024) {
        causes.push({
          reason: 'FieldValueTooLong',
          message: 'Too long: may not be more than 262144 bytes',
          field: 'metadata.annotations',
        });
      }
    }
  }
  if (meta.finalizers !== undefined) {
    if (!Array.isArray(meta.finalizers) || meta.finalizers.some(f => typeof f !== 'string')) {
      causes.push(invalid('metadata.finalizers', meta.finalizers, 'must be a list of strings'));
    } else {
      for (const f of meta.finalizers) {
        for (const msg of qualifiedNameProblems(f))
          causes.push(invalid('metadata.finalizers', f, msg));
      }
    }
  }
  return causes;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every(x => typeof x === 'string')
  );
}
