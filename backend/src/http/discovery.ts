import { createHash } from 'node:crypto';
import { groupVersionOf } from '../registry/resources';
import type { ResourceDescriptor } from '../registry/types';

/**
 * The discovery documents: the legacy ones (APIVersions, APIGroupList, APIGroup,
 * APIResourceList) and aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList),
 * which kubectl 1.32 asks for first. Both describe the same descriptors.
 */

/** The verbs a subresource offers (kube's status subresources: get, patch, update). */
function subresourceVerbs(subresource: string): string[] {
  return subresource === 'finalize' ? ['update'] : ['get', 'patch', 'update'];
}

/** kube's storageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64. */
function storageVersionHash(r: ResourceDescriptor): string {
  return createHash('sha256')
    .update(`${r.group}/${r.version}/${r.kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

const byName = (a: ResourceDescriptor, b: ResourceDescriptor) =>
  a.resource.localeCompare(b.resource);

/** Custom resources are served by kube's apiextensions server, which lists verbs in this order. */
const CUSTOM_RESOURCE_VERB_ORDER = [
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'create',
  'update',
  'watch',
];

function isBuiltIn(r: ResourceDescriptor): boolean {
  return r.group === '' || r.group.endsWith('.k8s.io');
}

function verbsOf(r: ResourceDescriptor): string[] {
  if (isBuiltIn(r)) return r.verbs;
  return [...r.verbs].sort(
    (a, b) => CUSTOM_RESOURCE_VERB_ORDER.indexOf(a) - CUSTOM_RESOURCE_VERB_ORDER.indexOf(b),
  );
}

const sortedSubresources = (r: ResourceDescriptor) => [...r.subresources].sort();

function groupsOf(resources: ResourceDescriptor[]): { group: string; versions: string[] }[] {
  const groups: { group: string; versions: string[] }[] = [];
  for (const r of resources) {
    let g = groups.find(x => x.group === r.group);
    if (!g) groups.push((g = { group: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return groups;
}

export function coreVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]) {
  const gv = versions.map(version => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gv, preferredVersion: gv[0] };
}

export function groupList(resources: ResourceDescriptor[]) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupsOf(resources)
      .filter(g => g.group !== '')
      .map(g => apiGroup(g.group, g.versions)),
  };
}

export function groupDocument(resources: ResourceDescriptor[], group: string) {
  const g = groupsOf(resources).find(x => x.group === group)!;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.group, g.versions) };
}

export function resourceList(resources: ResourceDescriptor[], group: string, version: string) {
  const served = resources.filter(r => r.group === group && r.version === version).sort(byName);
  const entries: Record<string, unknown>[] = [];
  for (const r of served) {
    entries.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
      storageVersionHash: storageVersionHash(r),
    });
    for (const sub of sortedSubresources(r)) {
      entries.push({
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: subresourceVerbs(sub),
      });
    }
  }
  // /api/v1 carries no apiVersion in kube-apiserver's answer; group versions do.
  return group === ''
    ? { kind: 'APIResourceList', groupVersion: version, resources: entries }
    : {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${group}/${version}`,
        resources: entries,
      };
}

function discoveryResource(r: ResourceDescriptor) {
  // kube-apiserver leaves group and version empty in the responseKind of its built-in kinds.
  const responseKind = isBuiltIn(r)
    ? { group: '', version: '', kind: r.kind }
    : { group: r.group, version: r.version, kind: r.kind };
  return {
    resource: r.resource,
    responseKind,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: verbsOf(r),
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: sortedSubresources(r).map(sub => ({
            subresource: sub,
            responseKind,
            verbs: subresourceVerbs(sub),
          })),
        }
      : {}),
  };
}

/** Aggregated discovery for /api (`core`: the legacy group only) or /apis (every named group). */
export function aggregatedDiscovery(resources: ResourceDescriptor[], core: boolean) {
  const groups = groupsOf(resources).filter(g => (g.group === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map(g => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map(version => ({
        version,
        resources: resources
          .filter(r => r.group === g.group && r.version === version)
          .sort(byName)
          .map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}

export const AGGREGATED_DISCOVERY_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The groupVersion strings served, e.g. for the OpenAPI v3 index. */
export function groupVersions(resources: ResourceDescriptor[]): string[] {
  return [...new Set(resources.map(groupVersionOf))];
}
