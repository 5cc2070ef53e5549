/**
 * What /version reports. gitVersion names the Kubernetes API version this server emulates
 * (so kubectl's version-skew check is meaningful) with our own version as build metadata:
 * `v1.32.13+wasmbed.0.1.0`. major/minor are the Kubernetes ones; goVersion is Node's.
 */
export const KUBERNETES_VERSION = { major: '1', minor: '32', patch: '13' };
export const WASMBED_API_VERSION = '0.1.0';

export function versionInfo() {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    gitVersion: `v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch}+wasmbed.${WASMBED_API_VERSION}`,
    gitCommit: '',
    gitTreeState: '',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${arch}`,
  };
}
