import type { ResourceDescriptor } from '../registry/types';

/** What a request path addresses, before any method or query is looked at. */
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
  | { kind: 'resource'; target: ResourceTarget }
  /** `plain`: outside every served group-version, where kube answers a text "404 page not found". */
  | { kind: 'notFound'; plain?: boolean };

export interface ResourceTarget {
  resource: ResourceDescriptor;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** `/watch/` path prefix (deprecated in kube, still served). */
  watchPrefix: boolean;
}

/**
 * Parses a path into a route. `resources` is what is served; an unknown group, version or
 * resource is `notFound` (kube's bare 404).
 */
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

  let segments: string[];
  try {
    segments = trimmed.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return { kind: 'notFound', plain: true };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length === 1) return { kind: 'coreVersions' };
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return { kind: 'groups' };
    group = segments[1]!;
    if (segments.length === 2) {
      return resources.some(r => r.group === group)
        ? { kind: 'group', group }
        : { kind: 'notFound', plain: true };
    }
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return { kind: 'notFound', plain: true };
  }
  const served = resources.filter(r => r.group === group && r.version === version);
  if (served.length === 0) return { kind: 'notFound', plain: true };
  if (rest.length === 0) return { kind: 'resourceList', group, version };

  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  const find = (plural: string | undefined) => served.find(r => r.resource === plural);
  let namespace: string | undefined;
  // namespaces/NS/RESOURCE...: a namespaced resource in NS. namespaces[/NAME[/SUB]] alone is
  // the Namespace resource itself (cluster-scoped).
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
    const resource = find(rest[0]);
    if (!resource || !resource.namespaced || rest.length > 3) return { kind: 'notFound' };
    return target(resource, namespace, rest[1], rest[2], watchPrefix);
  }
  const resource = find(rest[0]);
  if (!resource || rest.length > 3) return { kind: 'notFound' };
  // A namespaced resource without a namespace is only its list across every namespace.
  if (resource.namespaced && rest.length > 1) return { kind: 'notFound' };
  return target(resource, undefined, rest[1], rest[2], watchPrefix);
}

function target(
  resource: ResourceDescriptor,
  namespace: string | undefined,
  name: string | undefined,
  subresource: string | undefined,
  watchPrefix: boolean,
): Route {
  if (name === '' || namespace === '') return { kind: 'notFound' };
  if (subresource !== undefined && !resource.subresources.includes(subresource))
    return { kind: 'notFound' };
  return {
    kind: 'resource',
    target: {
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
      watchPrefix,
    },
  };
}
