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
const WASMBED = ['devices', 'applications', 'appinstances', 'gateways'];
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
    // Bootstrap-token redemption: read the token's Secret and mark it spent. Create: the first
    // gateway stores the fleet CA it made (wasmbed-system/wasmbed-ca) for the others.
    { apiGroups: [CORE], resources: ['secrets'], verbs: ['get', 'create', 'update', 'patch'] },
    {
      apiGroups: [API_GROUP],
      resources: ['devices/status', 'appinstances/status'],
      verbs: ['update', 'patch'],
    },
    // A gateway registers its own Gateway object (admission holds it to its own name).
    { apiGroups: [API_GROUP], resources: ['gateways'], verbs: ['create'] },
    // Its own Gateway only: status, and the spec it registered (endpoint, capacity) when a
    // restart moves it to other ports.
    {
      apiGroups: [API_GROUP],
      resources: ['gateways', 'gateways/status'],
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

/**
 * Rules with the binding that grants them, named as test/cluster/rbac.yaml names its
 * ClusterRoleBindings (an access review reports which one allowed a request, as RBAC does).
 */
export interface Grant {
  rules: PolicyRule[];
  /** e.g. `ClusterRoleBinding "wasmbed:viewers" of ClusterRole "wasmbed:view" to Group "wasmbed:viewers"` */
  grantedBy: string;
}

const binding = (name: string, role: string, subject: string) =>
  `ClusterRoleBinding "${name}" of ClusterRole "${role}" to ${subject}`;

/** The grants a user holds through its groups (and, for a gateway, its name). */
export function grantsFor(user: UserInfo): Grant[] | 'all' {
  if (user.groups.includes(SUPERUSER_GROUP)) return 'all';
  const grants: Grant[] = [];
  if (user.groups.includes(EDITORS_GROUP)) {
    grants.push({
      rules: EDIT_RULES,
      grantedBy: binding(EDITORS_GROUP, 'wasmbed:edit', `Group "${EDITORS_GROUP}"`),
    });
  }
  if (user.groups.includes(VIEWERS_GROUP)) {
    grants.push({
      rules: VIEW_RULES,
      grantedBy: binding(VIEWERS_GROUP, 'wasmbed:view', `Group "${VIEWERS_GROUP}"`),
    });
  }
  if (user.groups.includes(GATEWAYS_GROUP) && user.name.startsWith(GATEWAY_USER_PREFIX)) {
    const [common, own] = splitGatewayRules(
      gatewayRules(user.name.slice(GATEWAY_USER_PREFIX.length)),
    );
    grants.push({
      rules: common,
      grantedBy: binding(GATEWAYS_GROUP, 'wasmbed:gateway', `Group "${GATEWAYS_GROUP}"`),
    });
    grants.push({ rules: own, grantedBy: binding(user.name, user.name, `User "${user.name}"`) });
  }
  return grants;
}

function splitGatewayRules(rules: PolicyRule[]): [PolicyRule[], PolicyRule[]] {
  return [rules.filter(r => !r.resourceNames), rules.filter(r => r.resourceNames)];
}

/** Every rule a user holds. */
export function rulesFor(user: UserInfo): PolicyRule[] | 'all' {
  const grants = grantsFor(user);
  return grants === 'all' ? 'all' : grants.flatMap(g => g.rules);
}
