/**
 * `npm run device -- --board BOARD --name NAME [--kubeconfig FILE [--namespace NS]]
 * [--gateway HOST:PORT ...] [--server-name NAME]`: builds the firmware if needed and runs one
 * QEMU device, console on stdout. Several gateways (repeated --gateway, or one comma-separated
 * list; at most 4) go into the provisioning block in that order: the device uses the first and
 * moves to the next when a connection or session fails.
 *
 * With --kubeconfig (the platform: `./wasmbed up`, `npm run api` + gateways): the fleet CA comes
 * from its Secret, the device is registered as a Device resource with a fresh bootstrap token in
 * a Secret (unless its flash already holds a certificate, or --token is given), and without
 * --gateway the devices' endpoints of the Ready Gateway resources are used.
 *
 * Without it (the fixture gateway, `npm run gateway:fixture`): the first gateway's admin API
 * (PORT+2) gives the fleet CA and registers the device. It wants the gateway's bearer token:
 * --admin-token-file (default .wasmbed/gateway/admin.token) or WASMBED_ADMIN_TOKEN.
 *
 * The device's flash stays in .wasmbed/devices/NAME/, so it keeps its identity across runs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deviceImage, REPO } from '../firmwareImage';
import { kubeClientFrom, platformProvisioning } from '../platformRegistration';
import { gatewayList, PROVISIONING_ADDRESS } from '../provisioning';
import { QemuDevice } from '../qemuDevice';

const { values } = parseArgs({
  options: {
    board: { type: 'string', default: 'mps2-an385' },
    name: { type: 'string' },
    gateway: { type: 'string', multiple: true },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
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

/** HOST:PORT as the device reaches it: QEMU's user networking shows the host's loopback as 10.0.2.2. */
function seenByDevice(address: string): string {
  const match =
    /^([^:]+):(\d{1,5})$/.exec(address) ?? fail(`a gateway must be HOST:PORT, not ${address}`);
  const host = ['127.0.0.1', 'localhost'].includes(match[1]!) ? '10.0.2.2' : match[1]!;
  return `${host}:${match[2]}`;
}

/**
 * The fixture gateway's admin API (PORT+2 of the first gateway that answers): the CA, and the
 * device registered with a fresh token.
 */
async function fixtureProvisioning(
  gateways: string[],
  name: string,
  board: string,
  register: boolean,
) {
  const adminToken =
    process.env.WASMBED_ADMIN_TOKEN ??
    readAdminToken(values['admin-token-file'] ?? path.join(REPO, '.wasmbed/gateway/admin.token'));
  const authorization = `Bearer ${adminToken}`;
  let admin = '';
  let caResponse: Response | undefined;
  for (const gateway of gateways) {
    const [host, port] = gateway.split(':');
    admin = `http://${host}:${Number(port) + 2}`;
    caResponse = await fetch(`${admin}/ca`, { headers: { authorization } }).catch(() => undefined);
    if (caResponse) break;
  }
  if (!caResponse) fail(`no gateway admin API at PORT+2 of ${gateways.join(', ')}`);
  if (!caResponse.ok) fail(`${admin}/ca answered ${caResponse.status}`);
  const caPem = await caResponse.text();
  if (!register) return { caPem, token: undefined };
  const token = randomBytes(18).toString('base64url');
  const res = await fetch(`${admin}/devices`, {
    method: 'POST',
    body: JSON.stringify({ name, board, token }),
    headers: { authorization, 'content-type': 'application/json' },
  });
  if (res.status !== 201) fail(`registering ${name}: ${res.status} ${await res.text()}`);
  process.stderr.write(`device: registered ${name} with the gateway\n`);
  return { caPem, token };
}

async function main() {
  const board = values.board!;
  if (!(board in PROVISIONING_ADDRESS))
    fail(`--board must be one of ${Object.keys(PROVISIONING_ADDRESS).join(', ')}`);
  const name = values.name ?? fail('--name is required');
  const given = (values.gateway ?? []).flatMap(g => g.split(','));
  // Checked before anything is registered: a list the firmware would refuse fails here.
  if (given.length) gatewayList({ gateways: given.map(seenByDevice) });
  const dir = path.resolve(values.dir ?? path.join(REPO, '.wasmbed/devices', name));
  const register = !values.token && !existsSync(path.join(dir, 'flash.bin'));

  let caPem: string;
  let token = values.token;
  let gateways = given;
  if (values.kubeconfig) {
    const { client, namespace } = await kubeClientFrom(values.kubeconfig);
    const p = await platformProvisioning({
      client,
      namespace: values.namespace ?? namespace,
      name,
      board,
      register,
    });
    if (p.token) process.stderr.write(`device: registered Device ${name} with a bootstrap token\n`);
    caPem = p.caPem;
    token ??= p.token;
    if (!gateways.length) gateways = p.gateways;
    if (!gateways.length) fail('no Ready Gateway advertises a device endpoint; give --gateway');
  } else {
    if (!gateways.length) gateways = ['127.0.0.1:8443'];
    const f = await fixtureProvisioning(gateways, name, board, register);
    caPem = f.caPem;
    token ??= f.token;
  }
  const deviceGateways = gatewayList({ gateways: gateways.map(seenByDevice) });
  process.stderr.write(
    `device: gateways ${deviceGateways.join(', ')} (as the device reaches them)\n`,
  );

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
