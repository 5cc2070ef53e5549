import { API_GROUP } from '@wasmbed/plugin-wasmbed-common';
import type { UserInfo } from '../registry/types';

/**
 * The roles of the Wasmbed API, written as RBAC PolicyRules so they read like (and are
 * compared against) the ClusterRoles `test/cluster/rbac.yaml` gives a real kube-apiserver.
 * A resource names its subresource as kube does ("devices/status"); "devices" alone does not
 * grant "devices/status".
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Only these object names (never matches a collection request, as in RBAC). */
  resourceNames?: string[];
}

const READ = ['get', 'list', 'watch'];
const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const WASMBED = ['devices', 'applications', 'gateways'];
const CORE = '';
const COORDINATION = 'coordination.k8s.io';

export const SUPERUSER_GROUP = 'system:masters';
export const EDITORS_GROUP = 'wasmbed:editors';
export const VIEWERS_GROUP = 'wasmbed:viewers';
export const GATEWAYS_GROUP = 'wasmbed:gateways';
/** A gateway's user name is this prefix plus the name of its Gateway object. */
export const GATEWAY_USER_PREFIX = 'wasmbed:gateway:';

export const EDIT_RULES: PolicyRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: [...WASMBED, ...WASMBED.map(r => `${r}/status`)],
    verbs: ALL,
  },
  { apiGroups: [CORE], resources: ['configmaps', 'secrets', 'events'], verbs: ALL },
  { apiGroups: [COORDINATION], resources: ['leases'], verbs: ALL },
  { apiGroups: [CORE], resources: ['namespaces'], verbs: READ },
];

export const VIEW_RULES: PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: WASMBED, verbs: READ },
  { apiGroups: [CORE], resources: ['configmaps', 'events', 'namespaces'], verbs: READ },
  { apiGroups: [COORDINATION], resources: ['leases'], verbs: READ },
];

/** What the gateway named `gateway` may do: read its fleet, write what devices report. */
export function gatewayRules(gateway: string): PolicyRule[] {
  return [
    { apiGroups: [API_GROUP], resources: WASMBED, verbs: READ },
    { apiGroups: [CORE], resources: ['configmaps'], verbs: READ },
    // Bootstrap-token redemption: read the token's Secret and mark it spent.
    { apiGroups: [CORE], resources: ['secrets'], verbs: ['get', 'update', 'patch'] },
    { apiGroups: [API_GROUP], resources: ['devices/status'], verbs: ['update', 'patch'] },
    {
      apiGroups: [API_GROUP],
      resources: ['gateways/status'],
      verbs: ['update', 'patch'],
      resourceNames: [gateway],
    },
    {
      apiGroups: [COORDINATION],
      resources: ['leases'],
      verbs: ['create', 'update', 'patch', ...READ],
    },
    { apiGroups: [CORE], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}

/** The rules a user holds through its groups (and, for a gateway, its name). */
export function rulesFor(user: UserInfo): PolicyRule[] | 'all' {
  if (user.groups.includes(SUPERUSER_GROUP)) return 'all';
  const rules: PolicyRule[] = [];
  if (user.groups.includes(EDITORS_GROUP)) rules.push(...EDIT_RULES);
  if (user.groups.includes(VIEWERS_GROUP)) rules.push(...VIEW_RULES);
  if (user.groups.includes(GATEWAYS_GROUP) && user.name.startsWith(GATEWAY_USER_PREFIX)) {
    rules.push(...gatewayRules(user.name.slice(GATEWAY_USER_PREFIX.length)));
  }
  return rules;
}
