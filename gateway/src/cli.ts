/**
 * `npm run gateway -- --port PORT --data DIR`: a standalone gateway with the embedded control
 * plane (state kept in DIR) and its admin API on loopback (bearer token in DIR/admin.token).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { adminTokenFile } from './admin/adminAccess';
import { startAdminServer } from './admin/adminRouter';
import { EmbeddedControlPlane } from './controlPlane/embeddedControlPlane';
import { Gateway } from './gateway';
import { DEFAULT_ADMISSION } from './transport/admission';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    'enroll-port': { type: 'string' },
    'admin-port': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string', default: '.wasmbed/gateway' },
    name: { type: 'string', default: 'gateway' },
    'heartbeat-timeout': { type: 'string', default: '90' },
    'allow-tls12': { type: 'boolean', default: false },
    'tls-groups': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'max-connections': { type: 'string', default: String(DEFAULT_ADMISSION.maxConnections) },
    'max-connections-per-address': {
      type: 'string',
      default: String(DEFAULT_ADMISSION.maxConnectionsPerAddress),
    },
    'max-handshakes': { type: 'string', default: String(DEFAULT_ADMISSION.maxHandshakes) },
  },
});

function count(flag: 'max-connections' | 'max-connections-per-address' | 'max-handshakes') {
  const n = Number(values[flag]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${flag}: ${values[flag]} is not a positive whole number`);
    process.exit(2);
  }
  return n;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`--${flag}: ${value} is not a port number`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const log = pino({ name: values.name, level: values['log-level'] });
  const devicePort = port(values.port!, 'port');
  const dataDir = path.resolve(values.data!);
  const controlPlane = new EmbeddedControlPlane(path.join(dataDir, 'control-plane.json'));
  const gateway = await Gateway.start({
    dataDir,
    controlPlane,
    name: values.name,
    host: values.host,
    port: devicePort,
    enrollPort: values['enroll-port'] ? port(values['enroll-port'], 'enroll-port') : devicePort + 1,
    heartbeatTimeoutMs: Number(values['heartbeat-timeout']) * 1000,
    allowTls12: values['allow-tls12'],
    tlsGroups: values['tls-groups'],
    admission: {
      maxConnections: count('max-connections'),
      maxConnectionsPerAddress: count('max-connections-per-address'),
      maxHandshakes: count('max-handshakes'),
    },
    logger: log,
  });
  const admin = await startAdminServer(
    gateway,
    controlPlane,
    values['admin-port'] ? port(values['admin-port'], 'admin-port') : devicePort + 2,
  );
  log.info(
    {
      admin: `http://127.0.0.1:${admin.port}`,
      tokenFile: adminTokenFile(dataDir),
      ca: path.join(dataDir, 'ca', 'ca.crt.pem'),
    },
    'admin API ready',
  );
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await admin.close();
    await gateway.stop();
    controlPlane.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(err => {
  console.error(`gateway: ${(err as Error).message}`);
  process.exit(1);
});
