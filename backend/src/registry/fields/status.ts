import { ApiError, type StatusJson } from '../types';

/**
 * The Status errors kube-apiserver answers patch and apply failures with. Their shapes follow
 * k8s.io/apimachinery's errors package (NewBadRequest, NewGenericServerResponse, ...), as the
 * real kube-apiserver returned them (see kubeComparison.test.ts).
 */

function failure(code: number, reason: string, message: string, details?: StatusJson['details']) {
  const status: StatusJson = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return new ApiError(status);
}

export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
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

export function internalError(message: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
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
