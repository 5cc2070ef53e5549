import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where `bash test/cluster/kube.sh build` puts the pinned binaries (keep in step with it). */
export const KUBE_VERSION = 'v1.32.13';
export const REPO_ROOT = resolve(__dirname, '../..');
const KUBE_BIN = resolve(REPO_ROOT, '.tools', `kubernetes-${KUBE_VERSION}`, 'bin');

export const kubeApiServerPath = resolve(KUBE_BIN, 'kube-apiserver');
/** The pinned kubectl every test drives (not the machine's own, which may be another version). */
export const kubectlPath = resolve(KUBE_BIN, 'kubectl');
export const etcdPath = resolve(REPO_ROOT, '.tools', 'etcd-3.4.23-4_b4', 'usr', 'bin', 'etcd');

export const CRD_DIR = resolve(REPO_ROOT, 'backend', 'crds');
export const RBAC_FILE = resolve(__dirname, 'rbac.yaml');
/** ValidatingAdmissionPolicies for gateways (the embedded server's gatewayAdmission.ts). */
export const ADMISSION_FILE = resolve(__dirname, 'admission.yaml');

/** Fails with the command that fixes it when a binary has not been built yet. */
export function requireBinaries(): void {
  const missing = [kubeApiServerPath, kubectlPath, etcdPath].filter(p => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')}: run \`bash test/cluster/kube.sh build\` first ` +
        '(builds kube-apiserver and kubectl, ~5 min the first time; fetches etcd)',
    );
  }
}
