/**
 * Server CPU per full mutual-TLS 1.3 handshake of the gateway's device listener with one TLS
 * setting changed, in the same run: the listener as the gateway builds it (its TLS profile,
 * Admission, FramedConnection, getPeerCertificate, jemalloc as gateway.sh preloads it), the
 * same with OpenSSL's default session tickets, and mosquitto, in alternating rounds. The
 * before/after figure of a TLS change, without the API server or the rest of the gateway.
 *
 *   npx tsx test/bench/gatewayBenchTls.ts --handshakes 3000 --rounds 4
 *
 * Each server runs as its own process (this file with --serve VARIANT) so its CPU is its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DeviceClient } from '../../gateway/src/client/deviceClient';
import { DeviceIdentity } from '../../gateway/src/client/deviceIdentity';
import { EnrollmentAuthority } from '../../gateway/src/pki/enrollmentAuthority';
import { Admission, DEFAULT_ADMISSION } from '../../gateway/src/transport/admission';
import { FramedConnection } from '../../gateway/src/transport/framedConnection';
import { peerIdentity } from '../../gateway/src/transport/peerIdentity';
import { GATEWAY_TLS_GROUPS, tlsProfile } from '../../gateway/src/transport/tlsProfile';
import { freePort } from '../../scripts/platform/ports';
import {
  handshakeBatch,
  startMosquitto,
  sumHandshakes,
  type Handshakes,
} from './gatewayBenchHandshakes';

const { values } = parseArgs({
  options: {
    handshakes: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '64' },
    serve: { type: 'string' },
    dir: { type: 'string' },
  },
});

/**
 * The listener variants compared: name → what changes against the gateway as it is (its TLS
 * profile; the device's name and serial from getPeerCertificate()).
 */
const VARIANTS: Record<string, { tls?: Partial<tls.TlsOptions>; peerIdentity?: boolean }> = {
  gateway: {},
  'default-tickets': { tls: { secureOptions: 0 } },
  'peer-identity': { peerIdentity: true },
};

/** Server mode: a device listener shaped like Gateway's, on a free port it prints. */
function serve(variant: string, dir: string): void {
  const log = pino({ level: 'warn' });
  const server = tls.createServer({
    key: readFileSync(path.join(dir, 'server/server.key.pem')),
    cert: readFileSync(path.join(dir, 'server/server.crt.pem')),
    ca: [readFileSync(path.join(dir, 'ca/ca.crt.pem'), 'utf8')],
    ...tlsProfile(GATEWAY_TLS_GROUPS),
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: 10_000,
    ...VARIANTS[variant]!.tls,
  });
  const fromSession = VARIANTS[variant]!.peerIdentity === true;
  new Admission(
    server,
    'device',
    { ...DEFAULT_ADMISSION, maxConnectionsPerAddress: 1_000_000 },
    log,
  );
  server.on('secureConnection', socket => {
    // What Gateway.acceptDevice does before it looks the device up.
    const device: unknown = fromSession
      ? peerIdentity(socket).device
      : socket.getPeerCertificate().subject?.CN;
    if (!socket.authorized || typeof device !== 'string') return socket.destroy();
    new FramedConnection(socket, { log });
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`),
  );
}

function startServer(variant: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  const jemalloc = spawnSync('sh', ['-c', 'ldconfig -p | grep -m1 "libjemalloc.so.2 "'])
    .stdout.toString()
    .split('=> ')[1]
    ?.trim();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', __filename, '--serve', variant, '--dir', dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...(jemalloc ? { LD_PRELOAD: jemalloc } : {}) },
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', code => reject(new Error(`server ${variant} exited with ${code}`)));
  });
}

async function main() {
  const handshakes = Number(values.handshakes);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const dir = mkdtempSync(path.join(tmpdir(), 'wasmbed-tlsbench-'));
  const children: ChildProcess[] = [];
  try {
    const authority = await EnrollmentAuthority.open(dir);
    await authority.serverCredentials();
    const caPem = authority.caCertificatePem;
    // 64 device identities, reused round robin: a handshake does not depend on which.
    const address = { host: '127.0.0.1', port: 0, enrollPort: 0, caPem };
    const identities: DeviceClient[] = [];
    for (let i = 0; i < 64; i++) {
      const identity = await DeviceIdentity.create(`tls-bench-${i}`);
      const issued = await authority.issueDeviceCertificate(identity.name, await identity.csr());
      identity.certificatePem = issued.pem;
      identities.push(new DeviceClient(identity, address));
    }
    const sample = Array.from({ length: handshakes }, (_, i) => identities[i % 64]!);

    const servers: { name: string; port: number; pid: number; batches: Handshakes[] }[] = [];
    for (const variant of Object.keys(VARIANTS)) {
      const { child, port } = await startServer(variant, dir);
      children.push(child);
      servers.push({ name: variant, port, pid: child.pid!, batches: [] });
    }
    const mqttPort = await freePort();
    const mosquitto = await startMosquitto(
      path.join(dir, 'mosquitto'),
      {
        caPem,
        certFile: path.join(dir, 'server/server.crt.pem'),
        keyFile: path.join(dir, 'server/server.key.pem'),
      },
      mqttPort,
    );
    children.push(mosquitto);
    servers.push({ name: 'mosquitto', port: mqttPort, pid: mosquitto.pid!, batches: [] });

    for (let r = 0; r < rounds; r++) {
      // Each round starts with the next server, so none is always first after a pause.
      const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
      for (const s of order) {
        const batch = await handshakeBatch(s.port, s.pid, sample, '127.0.0.14', concurrency);
        s.batches.push(batch);
        process.stderr.write(
          `[tls] round ${r + 1}/${rounds} ${s.name}: ${Math.round(batch.ok / (batch.ms / 1000))}/s, ${((batch.serverCpuS * 1000) / handshakes).toFixed(3)} ms server CPU each\n`,
        );
      }
    }
    const result = Object.fromEntries(servers.map(s => [s.name, sumHandshakes(s.batches)]));
    console.log(JSON.stringify({ handshakesPerRound: handshakes, rounds, ...result }));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.serve) serve(values.serve, values.dir!);
else
  main().then(
    () => process.exit(0),
    err => {
      console.error(`gatewayBenchTls failed: ${(err as Error).stack}`);
      process.exit(1);
    },
  );
