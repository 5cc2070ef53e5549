import { constants } from 'node:crypto';
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

/**
 * No resumable session tickets. By default OpenSSL's TLS 1.3 server sends two after every
 * handshake, each an encrypted copy of the session, and it copies the session for the second
 * by encoding it and decoding it again, client certificate included: about a tenth of the
 * gateway's CPU per mutual-TLS handshake (perf, 3,000 handshakes). Devices never resume (the
 * firmware's wolfSSL is built with NO_SESSION_CACHE), and a resumed session would be let in
 * without its certificate being verified against the CA and CRL again: nothing is lost. With this option a TLS 1.3 server still sends its
 * NewSessionTicket messages (clients that wait for one keep working) but they only carry a
 * session id for a cache the gateway does not keep: no encryption, no copy, no resumption.
 * A TLS 1.3 client ignores the option; a TLS 1.2 one stops asking for tickets.
 */
const NO_RESUMPTION = constants.SSL_OP_NO_TICKET;

/** The TLS settings every device-facing context shares, the gateway's and the devices'. */
export function tlsProfile(
  groups: string,
  allowTls12 = false,
): Pick<tls.SecureContextOptions, 'ecdhCurve' | 'minVersion' | 'secureOptions'> {
  return {
    ecdhCurve: groups,
    minVersion: allowTls12 ? 'TLSv1.2' : 'TLSv1.3',
    secureOptions: NO_RESUMPTION,
  };
}
