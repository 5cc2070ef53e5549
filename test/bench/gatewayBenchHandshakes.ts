/**
 * The gateway bench's handshake comparison: the same full mutual-TLS 1.3 handshakes against the
 * gateway and against Debian's mosquitto on the same certificates, with each server's CPU per
 * handshake read from /proc. Also the /proc readings the rest of the bench uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { DeviceClient } from '../../gateway/src/client/deviceClient';
import { withConcurrency } from '../../gateway/src/client/loadGenerator';

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits (up to 20 s) until a process uses under 2% of a core over a second. */
export async function settle(pid: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const before = cpuSeconds(pid);
    await new Promise(r => setTimeout(r, 1000));
    if (cpuSeconds(pid) - before < 0.02) return;
  }
}

export interface Handshakes {
  ok: number;
  failures: number;
  ms: number;
  serverCpuS: number;
  clientCpuS: number;
}

/**
 * Full mutual-TLS 1.3 handshakes against a port, one per device, `concurrency` at a time; a
 * handshake counts once the server has sent its NewSessionTicket, which a TLS 1.3 server does
 * only after it has verified the client's certificate and Finished. Both servers send one
 * (the gateway's carries no resumable session: gateway/src/transport/tlsProfile.ts).
 */
export async function handshakeBatch(
  port: number,
  serverPid: number,
  devices: DeviceClient[],
  localAddress: string,
  concurrency: number,
): Promise<Handshakes> {
  let failures = 0;
  for (const d of devices) d.secureContext(); // built before the clock starts, for both peers alike
  await settle(serverPid);
  const cpuBefore = cpuSeconds(serverPid);
  const clientBefore = process.cpuUsage();
  const ms = await withConcurrency(
    devices,
    concurrency,
    d =>
      new Promise<void>(resolve => {
        const socket = tls.connect(<tls.ConnectionOptions>{
          host: '127.0.0.1',
          port,
          localAddress,
          secureContext: d.secureContext(),
          servername: 'localhost',
          minVersion: 'TLSv1.3',
        });
        const done = (ok: boolean) => {
          if (!ok) failures++;
          clearTimeout(timer);
          socket.destroy();
          resolve();
        };
        const timer = setTimeout(() => done(false), 10_000);
        socket.once('session', () => done(true));
        socket.once('error', () => done(false));
      }),
  );
  const client = process.cpuUsage(clientBefore);
  return {
    ok: devices.length - failures,
    failures,
    ms,
    serverCpuS: cpuSeconds(serverPid) - cpuBefore,
    clientCpuS: (client.user + client.system) / 1e6,
  };
}

/** Rounds of one server summed: rate, failures, CPU per handshake (ms) of server and client. */
export function sumHandshakes(batches: Handshakes[]) {
  const total = batches.reduce((a, b) => ({
    ok: a.ok + b.ok,
    failures: a.failures + b.failures,
    ms: a.ms + b.ms,
    serverCpuS: a.serverCpuS + b.serverCpuS,
    clientCpuS: a.clientCpuS + b.clientCpuS,
  }));
  const n = total.ok + total.failures;
  return {
    perSecond: Math.round(total.ok / (total.ms / 1000)),
    failures: total.failures,
    serverCpuMs: +((total.serverCpuS * 1000) / n).toFixed(3),
    clientCpuMs: +((total.clientCpuS * 1000) / n).toFixed(3),
    /** Per round, for the spread. */
    serverCpuMsPerRound: batches.map(
      b => +((b.serverCpuS * 1000) / (b.ok + b.failures)).toFixed(3),
    ),
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>(r => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open`);
}

/**
 * mosquitto on `port` with the gateway's own server key and certificate and the fleet CA,
 * requiring a client certificate, TLS 1.3 only. No device is revoked in the bench, so the
 * gateway loads no CRL; neither does mosquitto.
 */
export async function startMosquitto(
  dir: string,
  files: { caPem: string; certFile: string; keyFile: string },
  port: number,
): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'ca.pem'), files.caPem);
  copyFileSync(files.certFile, path.join(dir, 'server.pem'));
  copyFileSync(files.keyFile, path.join(dir, 'server.key'));
  writeFileSync(
    path.join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${dir}/ca.pem`,
      `certfile ${dir}/server.pem`,
      `keyfile ${dir}/server.key`,
      'require_certificate true',
      'tls_version tlsv1.3',
      'allow_anonymous true',
      'persistence false',
      'log_dest none',
      'user root',
      'max_connections -1',
      '',
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, child);
  return child;
}
