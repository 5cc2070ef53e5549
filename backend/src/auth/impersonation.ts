import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, failureStatus, type UserInfo } from '../registry/types';
import { AUTHENTICATED_GROUP } from './tokens';
import { SUPERUSER_GROUP } from './roles';

/**
 * `Impersonate-User` / `Impersonate-Group` / `Impersonate-Uid` (kubectl --as, --as-group), as
 * kube-apiserver applies them: only a user allowed to impersonate (here: system:masters, as
 * kube's cluster-admin) becomes the named user; anyone else is refused with kube's 403, so a
 * header can never widen (or silently fail to narrow) what a request may do.
 */
export function impersonate(
  user: UserInfo,
  headers: IncomingHttpHeaders,
  distinct: Record<string, string[] | undefined>,
  path: string,
): UserInfo {
  const name = distinct['impersonate-user']?.[0];
  const groups = distinct['impersonate-group'] ?? [];
  const uid = distinct['impersonate-uid']?.[0];
  const extra = Object.keys(headers).some(h => h.startsWith('impersonate-extra-'));
  if (name === undefined) {
    if (groups.length === 0 && uid === undefined && !extra) return user;
    throw new ApiError(
      failureStatus(
        500,
        'InternalError',
        `Internal Server Error: "${path}": requested ${groups.map(g => `[{Group  ${g}    }]`).join('')} without impersonating a user`,
      ),
    );
  }
  if (!user.groups.includes(SUPERUSER_GROUP)) {
    throw new ApiError(
      failureStatus(
        403,
        'Forbidden',
        `users "${name}" is forbidden: User "${user.name}" cannot impersonate resource "users" in API group "" at the cluster scope`,
        { name, kind: 'users' },
      ),
    );
  }
  return {
    name,
    ...(uid !== undefined ? { uid } : {}),
    groups: [...new Set([...groups, AUTHENTICATED_GROUP])],
  };
}
