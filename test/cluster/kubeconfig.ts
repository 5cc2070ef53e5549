import { writeFileSync } from 'node:fs';

/**
 * A kubeconfig with one cluster, one user (bearer token) and one current context. JSON is
 * valid YAML, so kubectl and @kubernetes/client-node both read it.
 */
export function writeKubeconfig(
  file: string,
  server: string,
  caPem: string,
  user: string,
  token: string,
): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'kube', user, namespace: 'default' } }],
    'current-context': user,
  };
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}
