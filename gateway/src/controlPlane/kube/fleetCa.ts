import { createPrivateKey, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { CA_SECRET, SYSTEM_NAMESPACE } from '@wasmbed/plugin-wasmbed-common';
import type { Logger } from 'pino';
import { EnrollmentAuthority } from '../../pki/enrollmentAuthority';
import { readTextIfExists, writeSecretFile } from '../../pki/secretFiles';
import { type KubeApi, KubeApiError, paths } from './kubeApi';

interface TlsSecret {
  data?: Record<string, string>;
}

/** How long a gateway waits for the controllers to create the system namespace. */
const NAMESPACE_WAIT_MS = 120_000;

/**
 * Makes DATA/ca hold the fleet CA of the platform, the one in Secret wasmbed-system/wasmbed-ca,
 * so EnrollmentAuthority.open loads it. Without that Secret, a new CA is made and stored there;
 * if another gateway stored one first (409), theirs is used. Every gateway signing with the
 * same CA is what lets a device enrolled at one connect to another. A local copy of another CA
 * is replaced, with the server certificate and CRL it had signed.
 */
export async function installFleetCa(api: KubeApi, dataDir: string, log: Logger): Promise<void> {
  const secretPath = paths.core(SYSTEM_NAMESPACE, 'secrets', CA_SECRET);
  let secret = await api.find<TlsSecret>(secretPath);
  if (!secret) {
    const made = await EnrollmentAuthority.createCa();
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: CA_SECRET, namespace: SYSTEM_NAMESPACE },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(made.certPem).toString('base64'),
        'tls.key': Buffer.from(made.keyPem).toString('base64'),
      },
    };
    secret = await createWhenNamespaceExists(api, body, log);
    if (secret)
      log.info({ secret: `${SYSTEM_NAMESPACE}/${CA_SECRET}` }, 'fleet CA made and stored');
    else secret = await api.get<TlsSecret>(secretPath);
  }
  const certPem = decode(secret.data?.['tls.crt'], 'tls.crt');
  // Stored as PKCS#8 whatever form the Secret holds (SEC1 "EC PRIVATE KEY" included).
  const keyPem = createPrivateKey(decode(secret.data?.['tls.key'], 'tls.key'))
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const fingerprint = new X509Certificate(certPem).fingerprint256;
  const caDir = path.join(dataDir, 'ca');
  const localCert = readTextIfExists(path.join(caDir, 'ca.crt.pem'));
  if (localCert !== undefined && new X509Certificate(localCert).fingerprint256 !== fingerprint) {
    log.warn({ dataDir }, 'local CA copy is not the fleet CA: replaced');
    rmSync(path.join(dataDir, 'server'), { recursive: true, force: true });
    rmSync(path.join(caDir, 'revoked.json'), { force: true });
    rmSync(path.join(caDir, 'ca.crl.pem'), { force: true });
  }
  if (localCert === undefined || readTextIfExists(path.join(caDir, 'ca.key.pem')) !== keyPem) {
    writeSecretFile(path.join(caDir, 'ca.key.pem'), keyPem);
    writeSecretFile(path.join(caDir, 'ca.crt.pem'), certPem);
  } else if (localCert !== certPem) {
    writeSecretFile(path.join(caDir, 'ca.crt.pem'), certPem);
  }
}

/** POSTs the Secret; undefined on 409 (someone was first). Waits for the namespace to exist. */
async function createWhenNamespaceExists(
  api: KubeApi,
  body: object,
  log: Logger,
): Promise<TlsSecret | undefined> {
  const until = Date.now() + NAMESPACE_WAIT_MS;
  for (let logged = false; ;) {
    try {
      return await api.request<TlsSecret>('POST', paths.core(SYSTEM_NAMESPACE, 'secrets'), body);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return undefined;
      if (!(err instanceof KubeApiError && err.status === 404) || Date.now() > until) throw err;
      if (!logged) log.info({ namespace: SYSTEM_NAMESPACE }, 'waiting for the system namespace');
      logged = true;
      await new Promise(r => setTimeout(r, 500));
    }
  }
}

function decode(base64: string | undefined, key: string): string {
  if (!base64) throw new Error(`Secret ${SYSTEM_NAMESPACE}/${CA_SECRET} has no ${key}`);
  return Buffer.from(base64, 'base64').toString('utf8');
}
