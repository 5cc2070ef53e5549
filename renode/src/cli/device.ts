/**
 * `npm run device -- --board BOARD --name NAME --gateway HOST:PORT [--gateway HOST:PORT ...]
 * [--server-name NAME]`: builds the firmware if needed and runs one QEMU device, console on
 * stdout. Several gateways (repeated --gateway, or one comma-separated list; at most 4) go into
 * the provisioning block in that order: the device uses the first and moves to the next when a
 * connection or session fails. The first gateway's admin API (PORT+2) gives the fleet CA and,
 * unless --token is given, registers the device with a fresh one-time token.
 * The admin API wants the gateway's bearer token: --admin-token-file (default
 * .wasmbed/gateway/admin.token, where `npm run gateway` and `./wasmbed up` keep it) or the
 * environment variable WASMBED_ADMIN_TOKEN.
 * The device's flash stays in .wasmbed/devices/NAME/, so it keeps its identity across runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deviceImage, REPO } from '../firmwareImage';
import { gatewayList, PROVISIONING_ADDRESS } from '../provisioning';
import { QemuDevice } from '../qemuDevice';

const { values } = parseArgs({
  options: {
    board: { type: 'string', default: 'mps2-an385' },
    name: { type: 'string' },
    gateway: { type: 'string', multiple: true, default: ['127.0.0.1:8443'] },
    token: { type: 'string' },
    'admin-token-file': { type: 'string' },
    dir: { type: 'string' },
    // A name in the gateway's server certificate (its default certificate has `localhost`).
    'server-name': { type: 'string', default: 'localhost' },
  },
});

function fail(message: string): never {
  process.stderr.write(`device: ${message}\n`);
  process.exit(2);
}

function readAdminToken(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fail(`no admin token in ${file}: give --admin-token-file or WASMBED_ADMIN_TOKEN`);
  }
}

async function main() {
  const board = values.board!;
  if (!(board in PROVISIONING_ADDRESS))
    fail(`--board must be one of ${Object.keys(PROVISIONING_ADDRESS).join(', ')}`);
  const name = values.name ?? fail('--name is required');
  const gateways = values
    .gateway!.flatMap(g => g.split(','))
    .map(g => {
      const match = /^([^:]+):(\d{1,5})$/.exec(g) ?? fail(`--gateway must be HOST:PORT, not ${g}`);
      return { host: match[1]!, port: Number(match[2]) };
    });
  const { host, port } = gateways[0]!;
  const admin = `http://${host}:${port + 2}`;
  // QEMU's user networking shows the host's loopback to the guest as 10.0.2.2.
  const seenByDevice = (h: string) => (['127.0.0.1', 'localhost'].includes(h) ? '10.0.2.2' : h);
  // Checked before anything is registered: the list the firmware would refuse fails here.
  const deviceGateways = gatewayList({
    gateways: gateways.map(g => `${seenByDevice(g.host)}:${g.port}`),
  });
  const dir = path.resolve(values.dir ?? path.join(REPO, '.wasmbed/devices', name));

  const adminToken =
    process.env.WASMBED_ADMIN_TOKEN ??
    readAdminToken(values['admin-token-file'] ?? path.join(REPO, '.wasmbed/gateway/admin.token'));
  const authorization = `Bearer ${adminToken}`;
  const caResponse = await fetch(`${admin}/ca`, { headers: { authorization } }).catch(() =>
    fail(`no gateway admin API at ${admin}`),
  );
  if (!caResponse.ok) fail(`${admin}/ca answered ${caResponse.status}`);
  const caPem = await caResponse.text();

  let token = values.token;
  if (!token && !existsSync(path.join(dir, 'flash.bin'))) {
    token = randomBytes(18).toString('base64url');
    const res = await fetch(`${admin}/devices`, {
      method: 'POST',
      body: JSON.stringify({ name, board, token }),
      headers: { authorization, 'content-type': 'application/json' },
    });
    if (res.status !== 201) fail(`registering ${name}: ${res.status} ${await res.text()}`);
    process.stderr.write(`device: registered ${name} with the gateway\n`);
  }

  const elf = deviceImage(board, line => process.stderr.write(`device: ${line}\n`));
  const device = new QemuDevice({
    board,
    elf,
    dir,
    provisioning: {
      gateways: deviceGateways,
      device: name,
      token,
      caPem,
      serverName: values['server-name'],
    },
    onConsole: line => process.stdout.write(`${line}\n`),
  });
  device.start();
  const stop = () => void device.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(err => fail((err as Error).message));
