import { ApiError, failureStatus, type UserInfo } from '../registry/types';
import { decide, mayReadPath } from './authorizer';

/** Where `kubectl auth can-i` asks. */
export const SELF_SUBJECT_ACCESS_REVIEW_PATH =
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

const PUBLIC_INFO = /^\/(healthz|livez|readyz|version)(\/.*)?$/;

interface ReviewSpec {
  resourceAttributes?: Record<string, unknown>;
  nonResourceAttributes?: Record<string, unknown>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * A SelfSubjectAccessReview: the requester asks whether it may do something and gets the
 * authoriser's answer (the same decision a request would meet), worded as kube's RBAC
 * words it. Nothing is stored; the answer is 201 as kube gives it.
 */
export function reviewSelfAccess(user: UserInfo, body: unknown): Record<string, unknown> {
  const spec = ((body as { spec?: ReviewSpec } | null)?.spec ?? {}) as ReviewSpec;
  const hasResource = spec.resourceAttributes && typeof spec.resourceAttributes === 'object';
  const hasNonResource =
    spec.nonResourceAttributes && typeof spec.nonResourceAttributes === 'object';
  if (hasResource === hasNonResource) {
    const message =
      'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified';
    throw new ApiError(
      failureStatus(
        422,
        'Invalid',
        `.authorization.k8s.io "" is invalid: spec.resourceAttributes: ${message}`,
        {
          group: 'authorization.k8s.io',
          causes: [{ reason: 'FieldValueInvalid', message, field: 'spec.resourceAttributes' }],
        },
      ),
    );
  }
  let status: { allowed: boolean; reason?: string };
  if (hasResource) {
    const r = spec.resourceAttributes!;
    const namespace = text(r.namespace);
    const name = text(r.name);
    const subresource = text(r.subresource);
    status = decide(user, {
      verb: text(r.verb),
      group: text(r.group),
      resource: text(r.resource),
      ...(subresource ? { subresource } : {}),
      ...(namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
    });
  } else {
    const n = spec.nonResourceAttributes!;
    const path = text(n.path);
    const verb = text(n.verb);
    if (user.groups.includes('system:masters')) status = { allowed: true };
    else if (verb === 'get' && mayReadPath(path)) {
      const role = PUBLIC_INFO.test(path) ? 'system:public-info-viewer' : 'system:discovery';
      status = {
        allowed: true,
        reason: `RBAC: allowed by ClusterRoleBinding "${role}" of ClusterRole "${role}" to Group "system:authenticated"`,
      };
    } else status = { allowed: false };
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status,
  };
}
