import type { ResourceDescriptor } from './types';

/**
 * Storage keys: `GROUP/RESOURCE/NAMESPACE/NAME` (core group spelled `core`, cluster-scoped
 * objects with an empty namespace). Key order = kube's list order (etcd key order under
 * /registry/GROUP/RESOURCE/NAMESPACE/NAME): by namespace, then by name.
 */

export function resourcePrefix(r: ResourceDescriptor): string {
  return `${r.group || 'core'}/${r.resource}/`;
}

/** The prefix of a collection: one namespace, or (namespace undefined) all of them. */
export function collectionPrefix(r: ResourceDescriptor, namespace: string | undefined): string {
  if (!r.namespaced) return `${resourcePrefix(r)}/`;
  return namespace === undefined ? resourcePrefix(r) : `${resourcePrefix(r)}${namespace}/`;
}

export function objectKey(
  r: ResourceDescriptor,
  namespace: string | undefined,
  name: string,
): string {
  return `${resourcePrefix(r)}${r.namespaced ? (namespace ?? '') : ''}/${name}`;
}

/** The resource prefix a key belongs to (`GROUP/RESOURCE/`). */
export function prefixOfKey(key: string): string {
  const second = key.indexOf('/', key.indexOf('/') + 1);
  return key.slice(0, second + 1);
}
