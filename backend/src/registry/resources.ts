import { API_GROUP, API_VERSION, KINDS } from '@wasmbed/plugin-wasmbed-common';
import type { ResourceDescriptor } from './types';

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** The wasmbed.io kinds, described exactly as their generated CRDs describe them. */
export const WASMBED_RESOURCES: ResourceDescriptor[] = KINDS.map(k => ({
  group: API_GROUP,
  version: API_VERSION,
  resource: k.plural,
  singular: k.singular,
  kind: k.kind,
  listKind: `${k.kind}List`,
  namespaced: true,
  shortNames: k.shortNames,
  categories: k.categories,
  verbs: ALL_VERBS,
  subresources: ['status'],
  printerColumns: k.printerColumns,
}));

/**
 * The core subset Wasmbed needs (as kube-apiserver serves them). Their Table columns are
 * computed by code in kube-apiserver (e.g. ConfigMap DATA = number of keys), so the
 * printerColumns here only name them; the Table code owns how each cell is computed.
 */
export const CORE_RESOURCES: ResourceDescriptor[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['status', 'finalize'],
    printerColumns: [
      { name: 'Status', type: 'string', jsonPath: '.status.phase' },
      { name: 'Age', type: 'string', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    listKind: 'SecretList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Data', type: 'string', jsonPath: '.data' },
      { name: 'Age', type: 'string', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    namespaced: true,
    shortNames: ['cm'],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    printerColumns: [
      { name: 'Data', type: 'string', jsonPath: '.data' },
      { name: 'Age', type: 'string', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    listKind: 'EventList',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    printerColumns: [
      { name: 'Last Seen', type: 'string', jsonPath: '.lastTimestamp' },
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
      { name: 'Message', type: 'string', jsonPath: '.message' },
    ],
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    singular: 'lease',
    kind: 'Lease',
    listKind: 'LeaseList',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: [],
    printerColumns: [
      { name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' },
      { name: 'Age', type: 'string', jsonPath: '.metadata.creationTimestamp' },
    ],
  },
];

export const SERVED_RESOURCES: ResourceDescriptor[] = [...CORE_RESOURCES, ...WASMBED_RESOURCES];

export function groupVersionOf(r: ResourceDescriptor): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export function findResource(group: string, version: string, resource: string) {
  return SERVED_RESOURCES.find(
    r => r.group === group && r.version === version && r.resource === resource,
  );
}
