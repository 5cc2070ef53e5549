import type { ResourceDescriptor } from '../registry/types';

/**
 * Routing as kube-apiserver does it, in two steps. First the path alone says whether a
 * request is about a resource and which (kube's RequestInfo: group, version, resource,
 * namespace, name, subresource), without knowing whether that resource exists, because
 * authorisation comes before routing: a user without a grant is told 403 even about a
 * resource that does not exist. Then the resource is looked up among those served.
 */

/** Non-resource paths. */
export type Route =
  | { kind: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  | { kind: 'version' }
  | { kind: 'coreVersions' } // /api
  | { kind: 'groups' } // /apis
  | { kind: 'group'; group: string } // /apis/GROUP
  | { kind: 'resourceList'; group: string; version: string } // /api/v1, /apis/G/V
  | { kind: 'openapiV2' }
  | { kind: 'openapiV3Index' }
  | { kind: 'openapiV3Group'; groupVersionPath: string } // api/v1, apis/G/V
  /** `plain`: kube's text "404 page not found" rather than a Status. */
  | { kind: 'notFound'; plain?: boolean };

/** A resource request as the path states it (kube's RequestInfo). */
export interface RequestInfo {
  /** Under /api (the legacy core group), whose 404s are Status objects; /apis 404s are text. */
  legacy: boolean;
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Segments past the subresource (never served). */
  extra: boolean;
  /** `/watch/` path prefix (deprecated in kube, still served). */
  watchPrefix: boolean;
}

/** A served resource, addressed. */
export interface ResourceTarget {
  resource: ResourceDescriptor;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
}

/** Namespace subresources: /api/v1/namespaces/NAME/status is the Namespace's, not a resource "status" in NAME. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function segmentsOf(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** The RequestInfo of a resource request, or undefined for a non-resource path. */
export function resourceRequestInfo(pathname: string): RequestInfo | undefined {
  const parts = segmentsOf(pathname.replace(/\/$/, ''));
  if (!parts) return undefined;
  let legacy: boolean;
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    legacy = true;
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    legacy = false;
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
    if (rest.length === 0) return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    // An empty namespace (`namespaces//configmaps`) means every namespace, as in kube.
    namespace = rest[1] === '' ? undefined : rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest as [string, string?, string?];
  return {
    legacy,
    group,
    version,
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    extra: rest.length > 3,
    watchPrefix,
  };
}

/** Why a resource request found nothing, and how kube words it. */
export type Unserved =
  | { kind: 'notFound'; plain: boolean }
  /** A custom resource's unknown subresource: kube answers NotFound for the object. */
  | { kind: 'objectNotFound'; resource: ResourceDescriptor; name: string };

/** The served resource a RequestInfo addresses, or why there is none. */
export function resolveTarget(
  info: RequestInfo,
  resources: ResourceDescriptor[],
): { kind: 'found'; target: ResourceTarget } | Unserved {
  const served = resources.filter(r => r.group === info.group && r.version === info.version);
  const missing: Unserved = { kind: 'notFound', plain: !info.legacy };
  const resource = served.find(r => r.resource === info.resource);
  if (!resource) return missing;
  const { namespace, name, subresource } = info;
  if (name === '' || namespace === '') return missing;
  // A namespaced resource without a namespace is only its list across every namespace; a
  // cluster-scoped one has no namespace (the Namespace itself aside, which RequestInfo gives
  // its own name as namespace).
  if (
    resource.namespaced
      ? namespace === undefined && name !== undefined
      : namespace !== undefined && resource.resource !== 'namespaces'
  ) {
    return missing;
  }
  const builtIn = resource.group === '' || resource.group.endsWith('.k8s.io');
  // Segments past a known subresource: kube's built-in handlers find nothing there; the
  // custom-resource handler ignores them.
  if (
    subresource !== undefined &&
    (!resource.subresources.includes(subresource) || (info.extra && builtIn))
  ) {
    return builtIn
      ? { kind: 'notFound', plain: false }
      : { kind: 'objectNotFound', resource, name: name! };
  }
  return {
    kind: 'found',
    target: {
      resource,
      ...(resource.namespaced && namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
      watchPrefix: info.watchPrefix,
    },
  };
}

/** Parses a non-resource path. */
export function parsePath(pathname: string, resources: ResourceDescriptor[]): Route {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/$/, '') : pathname;
  const health = /^\/(healthz|livez|readyz)(\/.*)?$/.exec(trimmed);
  if (health) return { kind: 'health', check: health[1] as 'healthz' | 'livez' | 'readyz' };
  if (trimmed === '/version') return { kind: 'version' };
  if (trimmed === '/openapi/v2') return { kind: 'openapiV2' };
  if (trimmed === '/openapi/v3') return { kind: 'openapiV3Index' };
  if (trimmed.startsWith('/openapi/v3/')) {
    return { kind: 'openapiV3Group', groupVersionPath: trimmed.slice('/openapi/v3/'.length) };
  }
  const parts = segmentsOf(trimmed);
  if (!parts) return { kind: 'notFound', plain: true };
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'coreVersions' };
    return resources.some(r => r.group === '' && r.version === parts[1])
      ? { kind: 'resourceList', group: '', version: parts[1]! }
      : { kind: 'notFound', plain: false };
  }
  if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'groups' };
    const group = parts[1]!;
    if (parts.length === 2) {
      return resources.some(r => r.group === group)
        ? { kind: 'group', group }
        : { kind: 'notFound', plain: true };
    }
    return resources.some(r => r.group === group && r.version === parts[2])
      ? { kind: 'resourceList', group, version: parts[2]! }
      : { kind: 'notFound', plain: true };
  }
  return { kind: 'notFound', plain: true };
}
