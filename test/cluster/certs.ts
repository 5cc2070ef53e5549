import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlPlaneCerts {
  caFile: string;
  caPem: string;
  servingCertFile: string;
  servingKeyFile: string;
  /** Service-account token signing key pair (kube-apiserver refuses to start without one). */
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A throwaway CA and a serving certificate for 127.0.0.1/localhost (plus the in-cluster
 * names kube-apiserver expects of itself), written into `dir`. openssl, because Node's
 * crypto cannot issue X.509 certificates and the test package has no X.509 library.
 */
export function writeControlPlaneCerts(dir: string): ControlPlaneCerts {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30'].concat([
      '-subj',
      '/CN=wasmbed-test-kube-ca',
    ]),
    dir,
  );
  openssl(
    [
      ...['req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr'],
      ...['-subj', '/CN=kube-apiserver'],
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      'DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'apiserver.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'apiserver.crt',
      '-days',
      '30',
      '-extfile',
      'apiserver.ext',
    ],
    dir,
  );

  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));

  return {
    caFile: join(dir, 'ca.crt'),
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    servingCertFile: join(dir, 'apiserver.crt'),
    servingKeyFile: join(dir, 'apiserver.key'),
    serviceAccountKeyFile: join(dir, 'sa.key'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
  };
}
