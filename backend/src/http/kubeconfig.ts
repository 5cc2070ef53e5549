import { stringify } from 'yaml';

/** The admin kubeconfig the server writes into its data directory (cluster and context `wasmbed`). */
export function adminKubeconfig(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'wasmbed',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'wasmbed-admin', user: { token } }],
    contexts: [
      {
        name: 'wasmbed',
        context: { cluster: 'wasmbed', user: 'wasmbed-admin', namespace: 'default' },
      },
    ],
    'current-context': 'wasmbed',
  });
}
