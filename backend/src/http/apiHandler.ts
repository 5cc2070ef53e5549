import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type Registry, type UserInfo } from '../registry/types';
import type { TokenAuthenticator } from '../auth/tokens';
import { impersonate } from '../auth/impersonation';
import { reviewSelfAccess, SELF_SUBJECT_ACCESS_REVIEW_PATH } from '../auth/accessReview';
import { decodeBody, objectBodyFormat, readBody } from './body';
import { decodeProtobufObject, isProtobuf } from './protobuf';
import {
  allows,
  forbiddenMessage,
  forbiddenPathMessage,
  isPublicPath,
  mayReadPath,
} from '../auth/authorizer';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  coreVersions,
  groupDocument,
  groupList,
  resourceList,
} from './discovery';
import { wantsAggregatedDiscovery } from './negotiation';
import { Query } from './query';
import { send, sendCacheable, sendError } from './respond';
import { serveResourceRequest, verbOf } from './resourceRequest';
import { parsePath, resolveTarget, resourceRequestInfo, type Route } from './routes';
import { notFound } from '../registry/errors';
import {
  badRequest,
  failure,
  methodNotSupported,
  pathNotFound,
  toApiError,
  unauthorized,
} from './status';
import { versionInfo } from './version';
import type { WatchGate } from './watch';
import type { OpenApiDocuments } from '../openapi/documents';

export interface ApiHandlerDeps {
  registry: Registry;
  authenticator: TokenAuthenticator;
  watches: WatchGate;
  openapi: OpenApiDocuments;
  now: () => Date;
  maxBodyBytes: number;
  /** host:port clients reach this server at (discovery's serverAddressByClientCIDRs). */
  serverAddress: () => string;
  /** False while shutting down: /readyz then fails so clients move away first. */
  ready: () => boolean;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

function forbidden(message: string, details: Record<string, string>): ApiError {
  return new ApiError(failure(403, 'Forbidden', message, details));
}

/**
 * The API server's request handler: authenticate, route, authorise, then serve discovery,
 * OpenAPI, health or a resource. Every failure is a Status; nothing a client sends can throw
 * out of here (a bug answers 500 and is logged).
 */
export function createApiHandler(deps: ApiHandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, deps).catch((error: unknown) => {
      const apiError = toApiError(error);
      if (apiError.code >= 500)
        deps.log('request failed', { method: req.method, url: req.url, error: String(error) });
      try {
        if (!req.complete) {
          // The body was refused unread (too large, or never needed): close the connection
          // after answering rather than reading the rest of what the client sends.
          res.setHeader('Connection', 'close');
          res.once('finish', () => req.socket.destroySoon());
        }
        sendError(res, apiError);
      } catch {
        res.destroy();
      }
    });
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiHandlerDeps,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'https://wasmbed.invalid');
  } catch {
    throw pathNotFound();
  }
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const hasToken = req.headers.authorization !== undefined;
  const authenticated = deps.authenticator.authenticate(req.headers.authorization);
  if (!authenticated && (hasToken || !isPublicPath(path))) throw unauthorized();
  const user = authenticated && impersonate(authenticated, req.headers, req.headersDistinct, path);

  if (path === SELF_SUBJECT_ACCESS_REVIEW_PATH && method === 'POST' && user) {
    // `kubectl auth can-i`: every authenticated user may ask about itself (system:basic-user).
    const bytes = await readBody(req, deps.maxBodyBytes);
    let body: unknown;
    if (isProtobuf(req.headers['content-type'])) {
      try {
        body = decodeProtobufObject(bytes);
      } catch (error) {
        throw badRequest(
          `the object provided is unrecognized (must be of type SelfSubjectAccessReview): ${(error as Error).message}`,
        );
      }
    } else body = decodeBody(bytes, objectBodyFormat(req.headers['content-type']) ?? 'json');
    return send(res, 201, reviewSelfAccess(user, body));
  }
  const info = resourceRequestInfo(path);
  if (info) {
    const q = new Query(url.searchParams);
    const verb = verbOf(method, info, q);
    if (!verb) throw methodNotSupported();
    // Authorised on what the path names, before looking it up: a user without a grant is
    // refused even about a resource that does not exist, as kube-apiserver does.
    const attributes = {
      verb,
      group: info.group,
      resource: info.resource,
      ...(info.subresource ? { subresource: info.subresource } : {}),
      ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
      ...(info.name !== undefined ? { name: info.name } : {}),
    };
    if (!allows(user!, attributes)) {
      throw forbidden(forbiddenMessage(user!, attributes), {
        ...(info.name ? { name: info.name } : {}),
        ...(info.group ? { group: info.group } : {}),
        kind: info.resource,
      });
    }
    const found = resolveTarget(info, deps.registry.resources());
    if (found.kind === 'objectNotFound') throw notFound(found.resource, found.name);
    if (found.kind === 'notFound') return serveNonResource(req, res, found, deps);
    return serveResourceRequest(req, res, found.target, verb, user!, q, deps);
  }
  const route = parsePath(path, deps.registry.resources());

  // Non-resource paths: GET only (kube maps other methods to verbs RBAC never grants here).
  const verb = method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase();
  if (user && (verb !== 'get' || !mayReadPath(path)) && !isSuperuser(user)) {
    throw forbidden(forbiddenPathMessage(user, verb, path), {});
  }
  if (verb !== 'get') throw pathNotFound();
  return serveNonResource(req, res, route, deps);
}

function isSuperuser(user: UserInfo): boolean {
  return user.groups.includes('system:masters');
}

function serveNonResource(
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  deps: ApiHandlerDeps,
): void {
  const resources = deps.registry.resources();
  const aggregated = wantsAggregatedDiscovery(req.headers.accept);
  switch (route.kind) {
    case 'health': {
      const ok = route.check !== 'readyz' || deps.ready();
      res.writeHead(ok ? 200 : 500, {
        'Cache-Control': 'no-cache, private',
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(ok ? 'ok' : '[-]shutdown failed: reason withheld\nreadyz check failed');
      return;
    }
    case 'version':
      return send(res, 200, versionInfo());
    case 'coreVersions':
      if (aggregated) {
        return sendCacheable(
          req,
          res,
          aggregatedDiscovery(resources, true),
          AGGREGATED_DISCOVERY_CONTENT_TYPE,
        );
      }
      return send(res, 200, coreVersions(deps.serverAddress()), { headers: { Vary: 'Accept' } });
    case 'groups':
      if (aggregated) {
        return sendCacheable(
          req,
          res,
          aggregatedDiscovery(resources, false),
          AGGREGATED_DISCOVERY_CONTENT_TYPE,
        );
      }
      return send(res, 200, groupList(resources), { headers: { Vary: 'Accept' } });
    case 'group':
      return send(res, 200, groupDocument(resources, route.group));
    case 'resourceList':
      return send(res, 200, resourceList(resources, route.group, route.version));
    case 'openapiV2':
      return deps.openapi.serveV2(req, res);
    case 'openapiV3Index':
      return deps.openapi.serveV3Index(req, res);
    case 'openapiV3Group':
      return deps.openapi.serveV3Group(req, res, route.groupVersionPath);
    case 'notFound':
      if (route.plain) {
        res.writeHead(404, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end('404 page not found\n');
        return;
      }
      throw pathNotFound();
    default:
      throw pathNotFound();
  }
}
