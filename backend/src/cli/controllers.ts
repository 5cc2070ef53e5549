import path from 'node:path';
import { parseCommandLine, usageError } from './commandLine';
import { startControllers } from '../controllers';

/**
 * `npm run controllers -- --kubeconfig FILE [--namespace NS]`: runs the Application, Device
 * and Gateway controllers against the API server of the kubeconfig. Prints
 * `wasmbed-controllers: running` on stdout once the informers have synced; logs are JSON
 * lines on stderr. SIGTERM or SIGINT stops the workers and watches and exits 0.
 */
const USAGE =
  'usage: controllers --kubeconfig FILE [--namespace NS]\n' +
  '  --kubeconfig  kubeconfig of the API server (the controllers act as its user)\n' +
  '  --namespace   the fleet namespace: Devices, Applications, AppInstances, Gateways, Leases (default "default")';

function fail(message: string): never {
  return usageError('wasmbed-controllers', message);
}

function log(message: string, fields?: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`,
  );
}

async function main(): Promise<void> {
  const values = parseCommandLine('wasmbed-controllers', USAGE, {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
  });
  if (!values) return;
  if (!values.kubeconfig) fail(`--kubeconfig is required\n${USAGE}`);
  let running;
  try {
    running = await startControllers({
      kubeConfig: path.resolve(values.kubeconfig),
      namespace: values.namespace ?? 'default',
      log,
    });
  } catch (error) {
    process.stderr.write(`wasmbed-controllers: ${(error as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write('wasmbed-controllers: running\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`wasmbed-controllers: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
