import { ApiError, failureStatus } from '../registry/types';

/** The reasons kube-apiserver gives for each code the HTTP layer answers by itself. */
export const failure = failureStatus;

export const unauthorized = () => new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));

export const badRequest = (message: string) => new ApiError(failure(400, 'BadRequest', message));

/** kube-apiserver's answer for a path it does not serve: a bare 404 "the server could not find the requested resource". */
export const pathNotFound = () =>
  new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));

export const methodNotSupported = () =>
  new ApiError(
    failure(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
      {},
    ),
  );

export const notAcceptable = (types: string) =>
  new ApiError(
    failure(406, 'NotAcceptable', `only the following media types are accepted: ${types}`),
  );

export const requestEntityTooLarge = (limit: number) =>
  new ApiError(
    failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  );

export function internalError(error: unknown): ApiError {
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(
    failure(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    }),
  );
}

export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : internalError(error);
}
