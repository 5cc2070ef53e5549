import { ApiError, failureStatus, type ResourceDescriptor, type StatusJson } from './types';

/**
 * The Status errors kube-apiserver answers, built the way its `apierrors` package builds them
 * (messages and details checked against kube-apiserver 1.32 with the wasmbed.io CRDs).
 */

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

function status(
  code: number,
  reason: string,
  message: string,
  details?: StatusJson['details'],
): ApiError {
  return new ApiError(failureStatus(code, reason, message, details));
}

/** `devices.wasmbed.io` or `configmaps`: how kube names a resource in messages. */
export function qualifiedResource(r: ResourceDescriptor): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** `Device.wasmbed.io` or `ConfigMap`: how kube names a kind in validation messages. */
export function qualifiedKind(r: ResourceDescriptor): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

/** kube leaves out an empty name (Go's omitempty). */
function resourceDetails(r: ResourceDescriptor, name: string): StatusJson['details'] {
  return { ...(name ? { name } : {}), ...(r.group ? { group: r.group } : {}), kind: r.resource };
}

export function notFound(r: ResourceDescriptor, name: string): ApiError {
  return status(
    404,
    'NotFound',
    `${qualifiedResource(r)} "${name}" not found`,
    resourceDetails(r, name),
  );
}

export function alreadyExists(r: ResourceDescriptor, name: string): ApiError {
  return status(
    409,
    'AlreadyExists',
    `${qualifiedResource(r)} "${name}" already exists`,
    resourceDetails(r, name),
  );
}

export function conflict(r: ResourceDescriptor, name: string, why: string): ApiError {
  return status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`,
    resourceDetails(r, name),
  );
}

/**
 * 409 for a failed delete precondition: kube's storage names the object by kind here
 * (`Operation cannot be fulfilled on Device.wasmbed.io "d1": the UID in the precondition ...`).
 */
export function preconditionConflict(r: ResourceDescriptor, name: string, why: string): ApiError {
  return status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedKind(r)} "${name}": ${why}`,
    {
      ...(name ? { name } : {}),
      ...(r.group ? { group: r.group } : {}),
      kind: r.kind,
    },
  );
}

export const MODIFIED_CONFLICT =
  'the object has been modified; please apply your changes to the latest version and try again';

/**
 * The causes as one message, as field.ErrorList.ToAggregate prints them: identical messages
 * once (the causes list keeps every one), several in brackets.
 */
function aggregate(causes: Cause[]): string {
  const parts = [...new Set(causes.map(c => (c.field ? `${c.field}: ${c.message}` : c.message)))];
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
}

/** 422 Invalid, one message with every cause, as field.ErrorList.ToAggregate prints them. */
export function invalid(r: ResourceDescriptor, name: string, causes: Cause[]): ApiError {
  const list = aggregate(causes);
  const details: StatusJson['details'] = {
    ...(name ? { name } : {}),
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind,
    causes,
  };
  return status(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${list}`, details);
}

/**
 * 422 Invalid named by resource rather than kind (`devices.wasmbed.io "x" is invalid`), as
 * kube's generic store words the checks it makes itself (e.g. a missing resourceVersion).
 */
export function invalidByResource(r: ResourceDescriptor, name: string, causes: Cause[]): ApiError {
  const list = aggregate(causes);
  return status(422, 'Invalid', `${qualifiedResource(r)} "${name}" is invalid: ${list}`, {
    ...resourceDetails(r, name),
    causes,
  });
}

export function badRequest(message: string): ApiError {
  return status(400, 'BadRequest', message);
}

export function expired(message: string): ApiError {
  return status(410, 'Expired', message);
}

export function forbidden(r: ResourceDescriptor, name: string, message: string): ApiError {
  return status(403, 'Forbidden', message, resourceDetails(r, name));
}

/** 504 for a resourceVersion the store has not reached (kube waits ~3 s, then answers this). */
export function tooLargeResourceVersion(wanted: number, current: number): ApiError {
  return status(
    504,
    'Timeout',
    `Timeout: Too large resource version: ${wanted}, current: ${current}`,
    {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
  );
}

/** 422 about the list options themselves (kube validates ListOptions as an object). */
export function invalidListOptions(field: string, message: string): ApiError {
  return status(
    422,
    'Invalid',
    `ListOptions.meta.k8s.io "" is invalid: ${field}: Forbidden: ${message}`,
    {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: [{ reason: 'FieldValueForbidden', message: `Forbidden: ${message}`, field }],
    },
  );
}

export function unsupportedMediaType(message: string): ApiError {
  return status(415, 'UnsupportedMediaType', message);
}

export function methodNotAllowed(message: string): ApiError {
  return status(405, 'MethodNotAllowed', message);
}

export function internal(message: string): ApiError {
  return status(500, 'InternalError', message);
}

/** A plain storage error: kube answers 500 with the message and no reason. */
export function storageError(message: string): ApiError {
  return status(500, '', message);
}

/** The Success Status a delete answers when the object is gone at once. */
export function deleteSuccess(r: ResourceDescriptor, name: string, uid?: string): StatusJson {
  const details = resourceDetails(r, name)!;
  if (uid) details.uid = uid;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details,
  } as StatusJson;
}

/**
 * A body kube's decoder cannot read into the kind's Go type (a wrong JSON type, a bad
 * timestamp, bad base64): 400 on create and update. A patch whose result cannot be read is
 * refused differently (patchUndecodable), so the message is kept apart.
 */
export class DecodeError extends ApiError {
  constructor(
    r: ResourceDescriptor,
    readonly reason: string,
  ) {
    super(
      status(
        400,
        'BadRequest',
        `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${reason}`,
      ).status,
    );
  }
}

/** 422 for a patch whose result cannot be decoded, worded as kube's patch handler words it. */
export function patchUndecodable(patched: unknown, reason: string): ApiError {
  const value = JSON.stringify(JSON.stringify(patched));
  return status(422, 'Invalid', ` "" is invalid: patch: Invalid value: ${value}: ${reason}`, {
    causes: [
      {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${value}: ${reason}`,
        field: 'patch',
      },
    ],
  });
}
