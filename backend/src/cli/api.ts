import path from 'node:path';
import { parseCommandLine, usageError } from './commandLine';
import { startApiServer } from '../server';

/**
 * `npm run api -- --data DIR --port N [--address 127.0.0.1] [--token-auth-file FILE]`:
 * runs the embedded API server, prints one line when it serves, and on SIGTERM (or SIGINT)
 * stops accepting, finishes pending writes and exits 0.
 */
const USAGE =
  'usage: api --data DIR [--port N] [--address 127.0.0.1] [--token-auth-file FILE]\n' +
  '  --data             data directory (created if missing): store, CA, certificates, admin token, kubeconfig\n' +
  '  --port             HTTPS port; 0 picks a free one (default 0)\n' +
  '  --address          listening address (default 127.0.0.1)\n' +
  '  --token-auth-file  static bearer tokens in kube-apiserver format: token,user,uid,"group1,group2"';

function fail(message: string): never {
  return usageError('wasmbed-api', message);
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    fail(`--port must be an integer from 0 to 65535, not "${text}"\n${USAGE}`);
  return Number(text);
}

async function main(): Promise<void> {
  const values = parseCommandLine('wasmbed-api', USAGE, {
    data: { type: 'string' },
    port: { type: 'string' },
    address: { type: 'string' },
    'token-auth-file': { type: 'string' },
  });
  if (!values) return;
  if (!values.data) fail(`--data is required\n${USAGE}`);
  const dataDir = path.resolve(values.data);
  let server;
  try {
    server = await startApiServer({
      dataDir,
      port: parsePort(values.port),
      host: values.address ?? '127.0.0.1',
      ...(values['token-auth-file']
        ? { tokenAuthFile: path.resolve(values['token-auth-file']) }
        : {}),
    });
  } catch (error) {
    process.stderr.write(`wasmbed-api: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `wasmbed-api: serving ${server.url} (kubeconfig ${server.kubeconfigPath})\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`wasmbed-api: ${signal}: stopping\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`wasmbed-api: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
