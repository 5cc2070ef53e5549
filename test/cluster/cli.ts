/**
 * `bash test/cluster/kube.sh start DIR` runs this detached: it writes the test users' tokens,
 * starts etcd + kube-apiserver, writes a kubeconfig per user into DIR, announces readiness in
 * DIR/ready, and stops everything on SIGTERM/SIGINT (`kube.sh stop DIR`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startKubeApiServer } from './kubeApiServer';
import { TEST_USERS, writeTokenFile } from './tokens';

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? '');
  if (!process.argv[2]) throw new Error('usage: tsx test/cluster/cli.ts DIR');
  const { file } = writeTokenFile(dir);
  const server = await startKubeApiServer({ workDir: dir, tokenAuthFile: file });
  const shutdown = () => {
    void server.stop().then(() => {
      rmSync(resolve(dir, 'ready'), { force: true });
      process.exit(0);
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  const lines = [
    `kube-apiserver ${server.url} (pids ${server.pids().join(' ')})`,
    `kubeconfig ${server.kubeconfigPath}`,
    ...Object.keys(TEST_USERS)
      .filter(u => u !== 'admin')
      .map(u => `kubeconfig for ${u}: ${server.kubeconfigFor(u)}`),
  ];
  writeFileSync(resolve(dir, 'ready'), lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
