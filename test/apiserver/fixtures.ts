/** Manifests the cases create: valid by the CRDs' schemas unless a case breaks them on purpose. */

export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

export const PUBLIC_KEY =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n';

export function device(
  ns: string,
  name: string,
  extra: {
    labels?: Record<string, string>;
    spec?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  } = {},
): KubeObjectLike {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Device',
    metadata: {
      name,
      namespace: ns,
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...extra.metadata,
    },
    spec: { board: 'mps2-an385', enrollment: { publicKey: PUBLIC_KEY }, ...extra.spec },
  };
}

export function application(
  ns: string,
  name: string,
  spec: Record<string, unknown> = {},
): KubeObjectLike {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
    spec: {
      module: { url: 'https://apps.example.org/blink.wasm' },
      target: { devices: ['d1'] },
      ...spec,
    },
  };
}

export function gateway(
  ns: string,
  name: string,
  spec: Record<string, unknown> = {},
): KubeObjectLike {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Gateway',
    metadata: { name, namespace: ns },
    spec: { endpoint: 'gw.example.org:8443', ...spec },
  };
}

export function configMap(
  ns: string,
  name: string,
  data: Record<string, string>,
  labels?: Record<string, string>,
): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
    data,
  };
}

export function secret(ns: string, name: string, data: Record<string, string>): KubeObjectLike {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    type: 'Opaque',
    stringData: data,
  };
}

/** kubectl's stdin: a stream of JSON documents (kubectl reads JSON values one after another). */
export function manifest(...objects: KubeObjectLike[]): string {
  return objects.map(o => JSON.stringify(o)).join('\n');
}
