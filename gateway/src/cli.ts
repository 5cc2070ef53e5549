/**
 * `npm run gateway -- --kubeconfig FILE --name G --port P --data DIR [--namespace NS] ...`:
 * a gateway on the Kubernetes API (the embedded API server or any kube-apiserver). Devices on
 * P (mutual TLS), enrollment on P+1, GET /healthz and /metrics on 127.0.0.1:P+2. DIR keeps
 * only the server key and certificate and a copy of the fleet CA.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startKubeGateway } from './kubeGateway';
import { LISTENER_FLAGS, listenerSettings, wholeFlag } from './listenerFlags';

const USAGE = `usage: gateway --kubeconfig FILE --name NAME [--port 8443] [--data DIR] [--namespace default]
  [--enroll-port P+1] [--admin-port P+2] [--host 127.0.0.1] [--advertise HOST:PORT] [--capacity 10000]
  [--heartbeat-timeout 90] [--writes-per-second 100] [--allow-tls12] [--tls-groups LIST]
  [--max-connections N] [--max-connections-per-address N] [--max-handshakes N] [--log-level info]`;

function fail(message: string): never {
  console.error(`gateway: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      ...LISTENER_FLAGS,
      namespace: { type: 'string', default: 'default' },
      advertise: { type: 'string' },
      capacity: { type: 'string', default: '10000' },
      'writes-per-second': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const text = (flag: string) => values[flag] as string;
const whole = (flag: string, min: number, max?: number) => wholeFlag(values, flag, fail, min, max);

async function main() {
  if (!values.kubeconfig) fail('--kubeconfig is required (the gateway runs on the Kubernetes API)');
  const name = text('name');
  if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63)
    fail('--name is required: a DNS label (the Gateway object and its Lease are named after it)');
  if (
    values.advertise !== undefined &&
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(text('advertise'))
  )
    fail(`--advertise: ${text('advertise')} is not HOST:PORT`);
  const listeners = listenerSettings(values, fail);
  const log = pino({ name, level: listeners.logLevel });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path.resolve(text('kubeconfig')));
  const running = await startKubeGateway({
    kubeConfig,
    name,
    namespace: text('namespace'),
    dataDir: path.resolve(listeners.dataDir),
    host: listeners.host,
    port: listeners.port,
    enrollPort: listeners.enrollPort,
    adminPort: listeners.adminPort,
    advertise: values.advertise as string | undefined,
    capacity: whole('capacity', 1, 1_000_000),
    heartbeatTimeoutMs: listeners.heartbeatTimeoutMs,
    allowTls12: listeners.allowTls12,
    tlsGroups: listeners.tlsGroups,
    admission: listeners.admission,
    writer: { writesPerSecond: whole('writes-per-second', 1) },
    logger: log,
  });
  log.info(
    { health: `http://127.0.0.1:${running.health?.port}/healthz`, namespace: text('namespace') },
    'health and metrics ready',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(err => {
  console.error(`gateway: ${(err as Error).message}`);
  process.exit(1);
});
