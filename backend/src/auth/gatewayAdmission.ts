import { API_GROUP } from '@wasmbed/plugin-wasmbed-common';
import { forbidden, qualifiedResource } from '../registry/errors';
import type { KubeObject, ResourceDescriptor, UserInfo } from '../registry/types';
import { GATEWAY_USER_PREFIX } from './roles';

/**
 * What RBAC cannot say about gateways: which device a gateway may report for, and which Gateway
 * object it may register. A real kube-apiserver gets the same rules as ValidatingAdmissionPolicies
 * (test/cluster/admission.yaml, same names and messages); keep the two in step. Runs after the
 * object passed validation, as kube's validating admission does.
 */

/** Phases in which a device belongs to the gateway named in its status. */
const HELD_PHASES = new Set(['Connected', 'Enrolled']);

const DEVICE_HOLDER_POLICY = 'wasmbed-gateway-device-holder';
const OWN_NAME_POLICY = 'wasmbed-gateway-own-name';

export interface AdmissionRequest {
  resource: ResourceDescriptor;
  subresource?: string;
  operation: 'CREATE' | 'UPDATE';
  object: KubeObject;
  old?: KubeObject;
  user: UserInfo;
}

/** Throws 403 Forbidden when a gateway's write breaks one of the rules above. */
export function admitGatewayWrite(req: AdmissionRequest): void {
  const { resource: r, user } = req;
  if (r.group !== API_GROUP || !user.name.startsWith(GATEWAY_USER_PREFIX)) return;
  const gateway = user.name.slice(GATEWAY_USER_PREFIX.length);
  const name = req.object.metadata.name ?? '';
  if (
    r.resource === 'devices' &&
    req.subresource === 'status' &&
    req.operation === 'UPDATE' &&
    req.old
  ) {
    const status = (req.old.status ?? {}) as { gateway?: unknown; phase?: unknown };
    const holder = typeof status.gateway === 'string' ? status.gateway : '';
    if (holder !== '' && holder !== gateway && HELD_PHASES.has(status.phase as string)) {
      throw denied(r, name, DEVICE_HOLDER_POLICY, `device ${name} is held by gateway ${holder}`);
    }
  }
  if (r.resource === 'gateways' && !req.subresource && req.operation === 'CREATE') {
    if (name !== gateway) {
      throw denied(
        r,
        name,
        OWN_NAME_POLICY,
        `a gateway may create only the Gateway named ${gateway}`,
      );
    }
  }
}

function denied(r: ResourceDescriptor, name: string, policy: string, message: string) {
  return forbidden(
    r,
    name,
    `${qualifiedResource(r)} "${name}" is forbidden: ValidatingAdmissionPolicy '${policy}' ` +
      `with binding '${policy}' denied request: ${message}`,
  );
}
