import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, type KubeObject, type PatchType, type RequestContext } from '../registry/types';
import { decodeBody, objectBodyFormat, readBody } from './body';
import { duplicateFields, excessiveNesting, nestingExceeds } from './duplicateFields';
import { decodeObjectBody, jsonErrorMessage } from './objectBody';
import { decodeProtobufObject, isProtobuf } from './protobuf';
import { invalidOptions } from './query';
import type { ResourceTarget } from './routes';
import { badRequest, failure } from './status';

/**
 * The bodies of resource requests: the object of a create or update (JSON, YAML, or the
 * protobuf kubectl's typed clients send), patches, and DeleteOptions, each read within the
 * body limit and refused with kube's answers; and the decode-stage rules (duplicate fields,
 * strict decoding) around a write.
 */

export interface BodyLimits {
  maxBodyBytes: number;
}

const PATCH_TYPES: PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Strategic merge patch exists for built-in kinds only; kube refuses it on custom resources. */
export function patchTypesFor(target: ResourceTarget): PatchType[] {
  return target.resource.group === 'wasmbed.io'
    ? PATCH_TYPES.filter(t => !t.includes('strategic'))
    : PATCH_TYPES;
}

export interface ObjectBody {
  object: KubeObject;
  /** Keys given twice in a JSON body (JSON.parse keeps the last; kube's strict decoder sees both). */
  duplicates: string[];
}

export async function readObjectBody(
  req: IncomingMessage,
  target: ResourceTarget,
  method: 'POST' | 'PUT',
  deps: BodyLimits,
): Promise<ObjectBody> {
  let format = objectBodyFormat(req.headers['content-type']);
  // kube reads the body before it looks at its type; so does this server (bounded).
  let bytes = await readBody(req, deps.maxBodyBytes);
  if (!format && isProtobuf(req.headers['content-type'])) {
    // kubectl's typed generators (create configmap/secret/namespace) send protobuf.
    let decoded: Record<string, unknown> | undefined;
    try {
      decoded = decodeProtobufObject(bytes);
    } catch (error) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${target.resource.kind}): ${(error as Error).message}`,
      );
    }
    if (decoded) {
      bytes = Buffer.from(JSON.stringify(decoded));
      format = 'json';
    }
  }
  if (!format) {
    throw new ApiError(
      failure(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      ),
    );
  }
  const object = decodeObjectBody(bytes, format, target.resource, target, method);
  return { object, duplicates: format === 'json' ? duplicateFields(bytes.toString('utf8')) : [] };
}

const STRICT_PREFIX = 'strict decoding error: ';

/** kube words strict decoding failures as failures to decode into the kind. */
function cannotDecode(r: ResourceTarget['resource'], problems: string): ApiError {
  return badRequest(
    `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${STRICT_PREFIX}${problems}`,
  );
}

function isStrictError(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    error.code === 400 &&
    (error.status.message ?? '').includes(STRICT_PREFIX)
  );
}

/**
 * Runs a create or update with kube's decode-stage answers: duplicate keys refused
 * (Strict, listed before the registry's unknown fields, nothing stored) or warned about
 * (Warn); the registry's strict-decoding refusals worded as decoding failures.
 */
export async function writeDecoded(
  body: ObjectBody,
  target: ResourceTarget,
  ctx: RequestContext,
  write: (object: KubeObject, ctx: RequestContext) => Promise<KubeObject>,
): Promise<KubeObject> {
  const dups = body.duplicates.map(d => `duplicate field "${d}"`);
  if (dups.length > 0 && ctx.fieldValidation === 'Strict') {
    // Decoding fails before anything is checked or stored; a dry run asks the registry for
    // the unknown fields kube would list after the duplicates.
    let unknown = '';
    try {
      await write(body.object, { ...ctx, dryRun: true, warnings: [] });
    } catch (error) {
      if (isStrictError(error)) {
        const message = error.status.message!;
        unknown = `, ${message.slice(message.indexOf(STRICT_PREFIX) + STRICT_PREFIX.length)}`;
      }
    }
    throw cannotDecode(target.resource, `${dups.join(', ')}${unknown}`);
  }
  if (ctx.fieldValidation === 'Warn') ctx.warnings.push(...dups);
  try {
    return await write(body.object, ctx);
  } catch (error) {
    if (isStrictError(error) && error.status.message!.startsWith(STRICT_PREFIX)) {
      throw cannotDecode(target.resource, error.status.message!.slice(STRICT_PREFIX.length));
    }
    throw error;
  }
}

export async function readPatchBody(
  req: IncomingMessage,
  target: ResourceTarget,
  deps: BodyLimits,
) {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const allowed = patchTypesFor(target);
  const bytes = await readBody(req, deps.maxBodyBytes);
  if (!allowed.includes(contentType as PatchType)) {
    throw new ApiError(
      failure(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${allowed.join(', ')}`,
      ),
    );
  }
  const type = contentType as PatchType;
  const text = bytes.toString('utf8');
  if (excessiveNesting(text)) throw badRequest('error decoding patch: exceeded max depth');
  if (type === 'application/apply-patch+yaml') {
    try {
      const patch = parseYaml(text, { maxAliasCount: 100 }) as unknown;
      if (nestingExceeds(patch)) throw new Error('exceeded max depth');
      return { type, patch };
    } catch (error) {
      throw badRequest(
        `error decoding YAML: error converting YAML to JSON: yaml: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  try {
    return { type, patch: JSON.parse(text) as unknown };
  } catch (error) {
    throw badRequest(`error decoding patch: ${jsonErrorMessage(text, error)}`);
  }
}

export function bodyDryRun(body: unknown): boolean {
  const dryRun = (body as { dryRun?: unknown } | undefined)?.dryRun;
  if (dryRun === undefined || dryRun === null) return false;
  if (!Array.isArray(dryRun) || dryRun.some(v => v !== 'All')) {
    const values = Array.isArray(dryRun) ? dryRun.map(String) : [String(dryRun)];
    throw invalidOptions('DeleteOptions', [
      {
        reason: 'FieldValueNotSupported',
        field: 'dryRun',
        message: `Unsupported value: []string{${values.map(v => JSON.stringify(v)).join(', ')}}: supported values: "All"`,
      },
    ]);
  }
  return dryRun.length > 0;
}

/** DELETE may carry DeleteOptions (JSON or YAML); an empty body means none. */
export async function readOptionalDeleteBody(
  req: IncomingMessage,
  deps: BodyLimits,
): Promise<unknown> {
  const bytes = await readBody(req, deps.maxBodyBytes);
  if (bytes.length === 0) return undefined;
  const format = objectBodyFormat(req.headers['content-type']) ?? 'json';
  return decodeBody(bytes, format);
}
