import type { UserInfo } from '../registry/types';
import { grantsFor, rulesFor, type PolicyRule } from './roles';

/** A request on a resource, as RBAC sees it. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/**
 * Paths every authenticated user may GET (kube's system:discovery and
 * system:public-info-viewer ClusterRoles).
 */
const DISCOVERY_PATHS = [/^\/api(\/.*)?$/, /^\/apis(\/.*)?$/, /^\/openapi\/.*$/, /^\/version\/?$/];
/** Paths open even without a token (system:public-info-viewer binds system:unauthenticated). */
const PUBLIC_PATHS = [/^\/(healthz|livez|readyz)(\/.*)?$/];

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some(p => p.test(path));
}

export function mayReadPath(path: string): boolean {
  return isPublicPath(path) || DISCOVERY_PATHS.some(p => p.test(path));
}

function ruleAllows(rule: PolicyRule, a: ResourceAttributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!rule.apiGroups.includes(a.group)) return false;
  if (!rule.resources.includes(resource)) return false;
  if (!rule.verbs.includes(a.verb)) return false;
  if (rule.resourceNames) return a.name !== undefined && rule.resourceNames.includes(a.name);
  return true;
}

export function allows(user: UserInfo, a: ResourceAttributes): boolean {
  const rules = rulesFor(user);
  return rules === 'all' || rules.some(rule => ruleAllows(rule, a));
}

/** The decision with RBAC's reason (which binding allowed it), for access reviews. */
export function decide(
  user: UserInfo,
  a: ResourceAttributes,
): { allowed: boolean; reason?: string } {
  const grants = grantsFor(user);
  if (grants === 'all') return { allowed: true };
  const grant = grants.find(g => g.rules.some(rule => ruleAllows(rule, a)));
  return grant
    ? { allowed: true, reason: `RBAC: allowed by ${grant.grantedBy}` }
    : { allowed: false };
}

/** kube-apiserver's wording of a refusal, word for word (clients and tests match on it). */
export function forbiddenMessage(user: UserInfo, a: ResourceAttributes): string {
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${scope}`;
}

export function forbiddenPathMessage(user: UserInfo, verb: string, path: string): string {
  return `forbidden: User "${user.name}" cannot ${verb} path "${path}"`;
}
