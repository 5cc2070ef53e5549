import { ApiError, failureStatus, type StatusJson } from '../types';
import { depthExceeded } from './jsonValue';

/**
 * The Status errors kube-apiserver answers patch and apply failures with. Their shapes follow
 * k8s.io/apimachinery's errors package (NewBadRequest, NewGenericServerResponse, ...), as the
 * real kube-apiserver returned them (see kubeComparison.test.ts).
 */

function failure(code: number, reason: string, message: string, details?: StatusJson['details']) {
  return new ApiError(failureStatus(code, reason, message, details));
}

/**
 * A plain (non-Status) error inside kube-apiserver, as its handlers write it: 500 with the
 * error's text and neither reason nor details.
 */
export function serverError(message: string): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    code: 500,
  });
}

/** kube's refusal of an apply request without `fieldManager`. */
export function applyFieldManagerRequired(): ApiError {
  return failure(
    422,
    'Invalid',
    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    {
      group: 'meta.k8s.io',
      kind: 'PatchOptions',
      causes: [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: is required for apply patch',
          field: 'fieldManager',
        },
      ],
    },
  );
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

/** Refuses a value nested deeper than MAX_NESTING_DEPTH, as kube's decoder words it. */
export function refuseDeepNesting(
  value: unknown,
  what: 'patch' | 'YAML' | 'object',
  max?: number,
): void {
  const bracket = depthExceeded(value, max);
  if (bracket) {
    throw badRequest(`error decoding ${what}: invalid character '${bracket}' exceeded max depth`);
  }
}

/**
 * A patch that decoded but could not be applied (failed `test`, missing path...). kube wraps
 * the patch library's error in NewGenericServerResponse(422), whose message is a fixed text:
 * the library's own error is not returned to the client.
 */
export function patchNotApplicable(): ApiError {
  return failure(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {},
  );
}

export function requestEntityTooLarge(message: string): ApiError {
  return failure(413, 'RequestEntityTooLarge', message);
}

/** kube's answer to a strategic merge patch of a custom resource. */
export function strategicMergePatchUnsupported(): ApiError {
  return failure(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
}

export function applyConflict(
  message: string,
  causes: { reason: string; message: string; field: string }[],
): ApiError {
  return failure(409, 'Conflict', message, { causes });
}

export interface PatchOptions {
  /** The request's fieldValidation (kube's default for a request without it: Warn). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Receives the warnings kube sends in `Warning` headers (with fieldValidation=Warn). */
  warnings?: string[];
}

/**
 * fieldValidation=Strict refusing a patch: kube reports the patched object (as Go's JSON
 * encoder writes it) as the invalid value of field `patch`.
 */
export function strictDecodingError(patched: unknown, problems: string[]): ApiError {
  const value = JSON.stringify(goJson(patched));
  const detail = `Invalid value: ${value}: strict decoding error: ${problems.join(', ')}`;
  return failure(422, 'Invalid', ` "" is invalid: patch: ${detail}`, {
    causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }],
  });
}

/** Go's encoding/json output: map keys sorted, <, > and & escaped. */
export function goJson(v: unknown): string {
  return sortedJson(v).replace(
    /[<>&\u2028\u2029]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map(k => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
