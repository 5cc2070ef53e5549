import { parse as parseYaml } from 'yaml';
import { ApiError, type KubeObject, type ResourceDescriptor } from '../registry/types';
import { groupVersionOf } from '../registry/resources';
import { badRequest, failure } from './status';
import type { BodyFormat } from './body';
import { excessiveNesting, nestingExceeds } from './duplicateFields';

/**
 * Decodes the object of a create or update (POST/PUT) the way kube-apiserver's decoders do,
 * with their answers: what cannot be read as an object is "unrecognized" (400, with a summary
 * of the body), an apiVersion or kind that is not this resource's is refused (400 for built-in
 * kinds and a wrong custom-resource version, 422 for a wrong custom-resource kind), and the
 * name and namespace must agree with the URL. Only the parser's own words differ from kube's
 * (Go's JSON and YAML errors), which the two-server suite normalises.
 */

/** kube's summary of a body in decode errors: the first 30 bytes, as text when JSON-like, else hex. */
export function summarizeBody(bytes: Buffer): string {
  if (bytes.length === 0) return '<empty>';
  const head = bytes.subarray(0, 30);
  const more = bytes.length > 30 ? ' ...' : '';
  return bytes[0] === 0x7b ? `${head.toString('utf8')}${more}` : `${head.toString('hex')}${more}`;
}

function unrecognized(r: ResourceDescriptor, why: string, bytes: Buffer): ApiError {
  return badRequest(
    `the object provided is unrecognized (must be of type ${r.kind}): ${why} (${summarizeBody(bytes)})`,
  );
}

/** Go's name for a JSON value's type in unmarshal errors. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}

const TYPE_META_STRUCT =
  'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** kube's internal package name of a built-in group, as its conversion errors print it. */
function internalGroup(group: string): string {
  return group === '' ? 'core' : group.split('.')[0]!;
}

/** Built-in kinds kube's scheme knows by apiVersion (those served here; others are "not registered"). */
const REGISTERED_KINDS: Record<string, string[]> = {
  v1: ['ConfigMap', 'Secret', 'Namespace', 'Event'],
  'coordination.k8s.io/v1': ['Lease'],
};

function isCustom(r: ResourceDescriptor): boolean {
  return r.group !== '' && !r.group.endsWith('.k8s.io');
}

function parse(bytes: Buffer, format: BodyFormat, r: ResourceDescriptor): unknown {
  const text = bytes.toString('utf8');
  if (format === 'yaml') {
    try {
      // No alias may expand into a huge tree (a "billion laughs" body stays small).
      const value = parseYaml(text, { maxAliasCount: 100 }) as unknown;
      if (nestingExceeds(value)) throw new Error('exceeded max depth');
      return value;
    } catch (error) {
      throw unrecognized(r, `yaml: ${(error as Error).message.split('\n')[0]}`, bytes);
    }
  }
  const deep = excessiveNesting(text);
  if (deep) {
    throw unrecognized(
      r,
      `couldn't get version/kind; json parse error: invalid character '${deep}' exceeded max depth`,
      bytes,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw unrecognized(
      r,
      `couldn't get version/kind; json parse error: ${jsonErrorMessage(text, error)}`,
      bytes,
    );
  }
}

/** Go's wording where it is the same fact (the input ended early); V8's otherwise. */
export function jsonErrorMessage(text: string, error: unknown): string {
  const message = (error as Error).message;
  const at = /at position (\d+)/.exec(message);
  if (
    text.trim() === '' ||
    /end of JSON input/.test(message) ||
    (at && Number(at[1]) >= text.trimEnd().length)
  ) {
    return 'unexpected end of JSON input';
  }
  return message;
}

export function decodeObjectBody(
  bytes: Buffer,
  format: BodyFormat,
  r: ResourceDescriptor,
  url: { namespace?: string; name?: string },
  method: 'POST' | 'PUT',
): KubeObject {
  const body = parse(bytes, format, r);
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw unrecognized(
      r,
      `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(body)} into Go value of type ${TYPE_META_STRUCT}`,
      bytes,
    );
  }
  const obj = (body ?? {}) as Record<string, unknown>;
  for (const field of ['apiVersion', 'kind'] as const) {
    if (obj[field] !== undefined && typeof obj[field] !== 'string') {
      throw unrecognized(
        r,
        `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(obj[field])} into Go struct field .${field} of type string`,
        bytes,
      );
    }
  }
  // A built-in kind's typed decoder takes its kind from the URL when the body has none
  // (client-node's typed clients send no kind); a custom resource's must name it.
  const kind = (obj.kind as string | undefined) || (isCustom(r) ? '' : r.kind);
  const apiVersion = (obj.apiVersion as string | undefined) ?? '';
  if (kind === '') {
    const json = format === 'json' ? bytes.toString('utf8') : JSON.stringify(body);
    throw unrecognized(r, `Object 'Kind' is missing in '${json}'`, bytes);
  }
  const expected = groupVersionOf(r);
  const version = apiVersion.includes('/')
    ? apiVersion.slice(apiVersion.indexOf('/') + 1)
    : apiVersion;
  const cannotHandle = (why: string) =>
    badRequest(`${kind} in version "${version}" cannot be handled as a ${r.kind}: ${why}`);

  if (isCustom(r)) {
    if (apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${apiVersion}) does not match the expected API version (${expected})`,
      );
    }
    if (kind !== r.kind) {
      const name = (obj.metadata as { name?: unknown } | undefined)?.name;
      const message = `Invalid value: "${kind}": must be ${r.kind}`;
      throw new ApiError(
        failure(
          422,
          'Invalid',
          `${kind}.${r.group} "${typeof name === 'string' ? name : ''}" is invalid: kind: ${message}`,
          {
            name: typeof name === 'string' ? name : '',
            group: r.group,
            kind,
            causes: [{ reason: 'FieldValueInvalid', message, field: 'kind' }],
          },
        ),
      );
    }
  } else if (apiVersion !== '' && (apiVersion !== expected || kind !== r.kind)) {
    // Built-in kinds: another kind of the same version is "registered" but cannot convert;
    // anything else is not registered at all.
    const registered = REGISTERED_KINDS[apiVersion]?.includes(kind) ?? false;
    throw cannotHandle(
      registered
        ? `converting (${version}.${kind}) to (${internalGroup(r.group)}.${r.kind}): unknown conversion`
        : `no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/runtime/scheme.go:100"`,
    );
  }
  if (
    obj.metadata !== undefined &&
    obj.metadata !== null &&
    (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))
  ) {
    throw cannotHandle(
      isCustom(r)
        ? `json: cannot unmarshal ${goJsonType(obj.metadata)} into Go value of type v1.ObjectMeta`
        : `json: cannot unmarshal ${goJsonType(obj.metadata)} into Go struct field ${r.kind}.metadata of type v1.ObjectMeta`,
    );
  }
  if (!isCustom(r)) {
    const problem = typedFieldProblem(r.kind, obj);
    if (problem) throw cannotHandle(problem);
  }
  const meta = (obj.metadata ?? {}) as KubeObject['metadata'];
  if (url.namespace !== undefined && meta.namespace && meta.namespace !== url.namespace) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  if (method === 'PUT' && meta.name !== undefined && meta.name !== url.name) {
    throw badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${url.name})`,
    );
  }
  return { ...obj, apiVersion: apiVersion || expected, kind, metadata: meta } as KubeObject;
}

/** Go's base64 (StdEncoding) verdict: undefined when valid, else the offset it reports. */
function base64Problem(text: string): number | undefined {
  const bad = /[^A-Za-z0-9+/=\r\n]/.exec(text);
  if (bad) return bad.index;
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4);
  const pad = clean.indexOf('=');
  if (pad >= 0 && pad < clean.length - 2) return pad;
  return undefined;
}

/**
 * What kube's typed decoder refuses in the data fields of ConfigMap and Secret (a value of
 * the wrong JSON type, bytes that are not base64): a 400 at decode time, before validation.
 */
function typedFieldProblem(kind: string, obj: Record<string, unknown>): string | undefined {
  const maps: [string, 'string' | 'bytes'][] =
    kind === 'ConfigMap'
      ? [
          ['data', 'string'],
          ['binaryData', 'bytes'],
        ]
      : kind === 'Secret'
        ? [
            ['data', 'bytes'],
            ['stringData', 'string'],
          ]
        : [];
  for (const [field, type] of maps) {
    const value = obj[field];
    if (value === undefined || value === null) continue;
    const goType = type === 'string' ? 'string' : '[]uint8';
    if (typeof value !== 'object' || Array.isArray(value)) {
      return `json: cannot unmarshal ${goJsonType(value)} into Go struct field ${kind}.${field} of type map[string]${goType}`;
    }
    for (const v of Object.values(value as Record<string, unknown>)) {
      if (v === null) continue;
      if (typeof v !== 'string')
        return `json: cannot unmarshal ${goJsonType(v)} into Go struct field ${kind}.${field} of type ${goType}`;
      if (type === 'bytes') {
        const at = base64Problem(v);
        if (at !== undefined) return `illegal base64 data at input byte ${at}`;
      }
    }
  }
  if (
    kind === 'Secret' &&
    obj.type !== undefined &&
    obj.type !== null &&
    typeof obj.type !== 'string'
  ) {
    return `json: cannot unmarshal ${goJsonType(obj.type)} into Go struct field Secret.type of type v1.SecretType`;
  }
  return undefined;
}
