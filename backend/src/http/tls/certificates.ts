import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from './der';

const ECDSA_WITH_SHA256 = sequence(objectIdentifier('1.2.840.10045.4.3.2'));
const DAY_MS = 86_400_000;

export interface KeyAndCertificate {
  keyPem: string;
  certPem: string;
}

interface CertificateRequest {
  subjectCommonName: string;
  publicKey: KeyObject;
  issuerCommonName: string;
  issuerKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  dnsNames?: string[];
  ipAddresses?: Buffer[];
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(objectIdentifier('2.5.4.3'), utf8String(commonName))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** SHA-1 of the public key bits, the usual key identifier (RFC 5280 4.2.1.2 method 1). */
function keyIdentifier(key: KeyObject): Buffer {
  return createHash('sha1')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();
}

function encodeCertificate(req: CertificateRequest): string {
  const extensions = [
    extension('2.5.29.19', true, sequence(...(req.isCa ? [boolean(true)] : []))),
    // keyUsage: keyCertSign + cRLSign for the CA (bits 5, 6), digitalSignature (bit 0) for the server.
    extension(
      '2.5.29.15',
      true,
      req.isCa ? bitString(Buffer.from([0x06]), 1) : bitString(Buffer.from([0x80]), 7),
    ),
    extension('2.5.29.14', false, octetString(keyIdentifier(req.publicKey))),
    extension(
      '2.5.29.35',
      false,
      sequence(implicit(0, keyIdentifier(createPublicKey(req.issuerKey)))),
    ),
  ];
  if (!req.isCa) {
    extensions.push(extension('2.5.29.37', false, sequence(objectIdentifier('1.3.6.1.5.5.7.3.1'))));
    const names = [
      ...(req.dnsNames ?? []).map(dns => implicit(2, Buffer.from(dns, 'ascii'))),
      ...(req.ipAddresses ?? []).map(ip => implicit(7, ip)),
    ];
    extensions.push(extension('2.5.29.17', false, sequence(...names)));
  }
  // A positive 127-bit serial: Go's x509 (kubectl) refuses negative ones.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    ECDSA_WITH_SHA256,
    name(req.issuerCommonName),
    sequence(time(req.notBefore), time(req.notAfter)),
    name(req.subjectCommonName),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, req.issuerKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A self-signed CA for the API server (ten years: it is the trust anchor kubeconfigs pin). */
export function createCertificateAuthority(commonName: string, now: Date): KeyAndCertificate {
  const key = newKey();
  const certPem = encodeCertificate({
    subjectCommonName: commonName,
    issuerCommonName: commonName,
    publicKey: createPublicKey(key),
    issuerKey: key,
    // An hour back so a client whose clock runs slightly behind still accepts it.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    isCa: true,
  });
  return { keyPem: keyPem(key), certPem };
}

export const SERVING_DNS_NAMES = ['localhost'];
export const SERVING_IPS = ['127.0.0.1', '::1'];

/** A serving certificate for loopback (one year; renewed by `servingCertificateUsable`). */
export function createServingCertificate(ca: KeyAndCertificate, now: Date): KeyAndCertificate {
  const key = newKey();
  const caCert = new X509Certificate(ca.certPem);
  const certPem = encodeCertificate({
    subjectCommonName: 'wasmbed-api',
    issuerCommonName: commonNameOf(caCert),
    publicKey: createPublicKey(key),
    issuerKey: createPrivateKey(ca.keyPem),
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 365 * DAY_MS),
    isCa: false,
    dnsNames: SERVING_DNS_NAMES,
    ipAddresses: [Buffer.from([127, 0, 0, 1]), Buffer.concat([Buffer.alloc(15), Buffer.from([1])])],
  });
  return { keyPem: keyPem(key), certPem };
}

function commonNameOf(cert: X509Certificate): string {
  const match = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  if (!match) throw new Error('the CA certificate has no common name');
  return match[1]!;
}

/**
 * Whether a stored serving certificate can still be served: signed by this CA, covering the
 * loopback names, and more than a week away from expiry (renewed on the next start otherwise).
 */
export function servingCertificateUsable(
  serving: KeyAndCertificate,
  ca: KeyAndCertificate,
  now: Date,
): boolean {
  const cert = new X509Certificate(serving.certPem);
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.verify(caCert.publicKey)) return false;
  if (!cert.checkPrivateKey(createPrivateKey(serving.keyPem))) return false;
  if (new Date(cert.validTo).getTime() - now.getTime() < 7 * DAY_MS) return false;
  return (
    SERVING_DNS_NAMES.every(n => cert.checkHost(n)) && SERVING_IPS.every(ip => cert.checkIP(ip))
  );
}
