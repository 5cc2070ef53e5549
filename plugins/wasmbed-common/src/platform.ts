/**
 * Names the components of the platform agree on: where the shared CA and the revocation list
 * live, how objects are labelled, the Leases gateways hold. One place, so a controller and a
 * gateway cannot drift apart.
 */

/** Namespace of the platform's own objects (CA Secret, revocations). The controllers create it. */
export const SYSTEM_NAMESPACE = 'wasmbed-system';
/** Secret (type kubernetes.io/tls) with the fleet CA every gateway signs with: tls.crt, tls.key. */
export const CA_SECRET = 'wasmbed-ca';
/** ConfigMap whose data maps serial number (hex) -> ISO time the certificate expires. */
export const REVOCATIONS_CONFIGMAP = 'wasmbed-revocations';
/** Serials kept on the revocation list (an expired certificate's serial is dropped). */
export const MAX_REVOKED_SERIALS = 20_000;

export const LABEL_APPLICATION = 'wasmbed.io/application';
export const LABEL_DEVICE = 'wasmbed.io/device';
/** On a module ConfigMap: the module's SHA-256. */
export const LABEL_MODULE_SHA256 = 'wasmbed.io/module-sha256';

/** ConfigMap key (binaryData) of a resolved module. */
export const MODULE_KEY = 'module.wasm';
/** Content-addressed: the same bytes, the same ConfigMap, in the Application's namespace. */
export function moduleConfigMapName(sha256: string): string {
  return `wasm-module-${sha256.slice(0, 40)}`;
}

/** The AppInstance of Application APP on DEVICE. */
export function appInstanceName(app: string, device: string): string {
  return `${app}.${device}`;
}

/** Device finalizer: revocation of its certificates is recorded before the object goes. */
export const DEVICE_FINALIZER = 'wasmbed.io/revocation';

/** Lease a gateway renews while it lives, in the fleet namespace beside its Gateway object. */
export function gatewayLeaseName(gateway: string): string {
  return `gateway-${gateway}`;
}
export const GATEWAY_LEASE_SECONDS = 10;
export const GATEWAY_LEASE_RENEW_MS = 3_000;

/** Annotations a gateway puts on a bootstrap-token Secret when it redeems the token. */
export const ANNOTATION_TOKEN_REDEEMED = 'wasmbed.io/redeemed-at';
export const ANNOTATION_TOKEN_REDEEMED_BY = 'wasmbed.io/redeemed-by';
/** Optional annotation on a bootstrap-token Secret: the token is refused after this time. */
export const ANNOTATION_TOKEN_EXPIRES = 'wasmbed.io/expires-at';
