import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createCertificateAuthority,
  createServingCertificate,
  servingCertificateUsable,
  type KeyAndCertificate,
} from './certificates';

/** Where the API server keeps its TLS material inside its data directory. */
export const TLS_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'serving.crt',
  servingKey: 'serving.key',
} as const;

export interface ServingMaterial {
  ca: KeyAndCertificate;
  serving: KeyAndCertificate;
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync's mode applies only when it creates the file
}

function readPair(dir: string, certName: string, keyName: string): KeyAndCertificate | undefined {
  const cert = path.join(dir, certName);
  const key = path.join(dir, keyName);
  const haveCert = existsSync(cert);
  const haveKey = existsSync(key);
  if (haveCert !== haveKey) {
    // Never mint a new CA over half of an old one: every kubeconfig pinned to it would break
    // silently. The operator decides (restore the file, or remove both to start afresh).
    throw new Error(
      `${haveCert ? cert : key} exists but ${haveCert ? key : cert} is missing; restore it or remove both`,
    );
  }
  if (!haveCert) return undefined;
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/**
 * The CA and serving certificate of `dataDir`: made on first start, reused afterwards (so
 * kubeconfigs stay valid across restarts); the serving certificate is renewed when it nears
 * expiry or no longer matches the CA. Keys are written owner-only.
 */
export function loadOrCreateServingMaterial(dataDir: string, now: Date): ServingMaterial {
  let ca = readPair(dataDir, TLS_FILES.caCert, TLS_FILES.caKey);
  if (!ca) {
    ca = createCertificateAuthority('wasmbed-api-ca', now);
    writePrivate(path.join(dataDir, TLS_FILES.caKey), ca.keyPem);
    writeFileSync(path.join(dataDir, TLS_FILES.caCert), ca.certPem);
  }
  let serving = readPair(dataDir, TLS_FILES.servingCert, TLS_FILES.servingKey);
  if (!serving || !servingCertificateUsable(serving, ca, now)) {
    serving = createServingCertificate(ca, now);
    writePrivate(path.join(dataDir, TLS_FILES.servingKey), serving.keyPem);
    writeFileSync(path.join(dataDir, TLS_FILES.servingCert), serving.certPem);
  }
  return { ca, serving };
}
