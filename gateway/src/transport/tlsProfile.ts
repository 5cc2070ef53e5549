import type tls from 'node:tls';

/**
 * Key-exchange groups the gateway accepts by default, most preferred first. P-256 is what the
 * firmware offers (wolfSSL key share SECP256R1), X25519 what most other TLS stacks lead with.
 *
 * Node 22's OpenSSL would otherwise also offer the post-quantum hybrid X25519MLKEM768. No
 * device can speak it, and a server that negotiates it with the clients that can keeps about
 * 6 KiB more per session (the peer's ML-KEM key lives as long as the connection) and spends
 * more CPU per handshake. Gateways that serve such clients can pass their own list.
 */
export const GATEWAY_TLS_GROUPS = 'P-256:X25519';

/** What a device offers: a P-256 key share and nothing else, as the firmware does. */
export const DEVICE_TLS_GROUPS = 'P-256';

/** The TLS settings every device-facing context shares. */
export function tlsProfile(
  groups: string,
  allowTls12 = false,
): Pick<tls.SecureContextOptions, 'ecdhCurve' | 'minVersion'> {
  return { ecdhCurve: groups, minVersion: allowTls12 ? 'TLSv1.2' : 'TLSv1.3' };
}
