/**
 * `./wasmbed up`: runs the platform in embedded mode. Today: the gateway with its embedded
 * control plane and admin API, three QEMU devices on different boards that enroll and connect
 * over mutual TLS 1.3, and the telemetry example app deployed to all of them. Everything shown
 * is what the gateway observed. Ctrl-C stops it all; devices keep their flash for next time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { KINDS } from '@wasmbed/plugin-wasmbed-common';
import { EmbeddedControlPlane } from '../gateway/src/controlPlane/embeddedControlPlane';
import { Gateway } from '../gateway/src/gateway';
import { startAdminServer } from '../gateway/src/admin/adminRouter';
import { deviceImage, exampleApp, REPO } from '../renode/src/firmwareImage';
import { FLASH_FILE_BYTES, QemuDevice } from '../renode/src/qemuDevice';

const BOARDS = ['mps2-an385', 'mps2-an386', 'mps2-an505'];
const PORT = 8443;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  say('Wasmbed (embedded mode)');
  say(
    `  resource model wasmbed.io/v1alpha1: ${KINDS.map(k => k.kind).join(', ')}; API server and portal: not built yet`,
  );
  const dataDir = path.join(REPO, '.wasmbed/gateway');
  const controlPlane = new EmbeddedControlPlane(path.join(dataDir, 'control-plane.json'));
  const log = pino({ level: 'warn' });
  const gateway = await Gateway.start({
    dataDir,
    controlPlane,
    port: PORT,
    enrollPort: PORT + 1,
    heartbeatIntervalS: 10,
    logger: log,
  });
  const admin = await startAdminServer(gateway, controlPlane, PORT + 2);
  say(
    `  gateway: devices 127.0.0.1:${PORT} (mutual TLS 1.3), enrollment :${PORT + 1}, admin http://127.0.0.1:${admin.port} (bearer token in ${path.relative(REPO, path.join(dataDir, 'admin.token'))})`,
  );

  const module = new Uint8Array(readFileSync(exampleApp('telemetry')));
  const sha256 = createHash('sha256').update(module).digest('hex');
  const devices: QemuDevice[] = [];
  for (const board of BOARDS) {
    const name = `demo-${board}`;
    const dir = path.join(REPO, '.wasmbed/devices', name);
    let token: string | undefined;
    const flash = path.join(dir, 'flash.bin');
    if (existsSync(flash) && statSync(flash).size !== FLASH_FILE_BYTES) {
      // Firmware before the sandbox kept a 72 KiB file through semihosting; it cannot be
      // mapped as the board's memory, so that device enrolls anew with a fresh token.
      say(`  ${name}: its flash file is of an older firmware's format; starting it afresh`);
      rmSync(flash);
    }
    if (!controlPlane.deviceNames().includes(name) || !existsSync(flash)) {
      rmSync(dir, { recursive: true, force: true }); // a device the gateway does not know starts afresh
      token = randomBytes(18).toString('base64url');
      controlPlane.registerDevice({ name, board, token });
    }
    const elf = deviceImage(board, line => say(`  ${line}`));
    const device = new QemuDevice({
      board,
      elf,
      dir,
      provisioning: {
        gateway: `10.0.2.2:${PORT}`,
        device: name,
        token,
        caPem: gateway.caCertificatePem,
      },
      onConsole: line => say(`  [${name}] ${line}`),
    });
    device.start();
    devices.push(device);
    controlPlane.setDesiredApp(name, {
      name: 'telemetry',
      module,
      sha256,
      running: true,
      config: { topic: board },
      limits: { memoryBytes: 65536, fuelPerActivation: 1_000_000, periodMs: 1000 },
    });
    say(
      `  started QEMU ${board} as ${name}${token ? ' (first boot: it will enroll)' : ' (enrolled before)'}`,
    );
  }

  const status = setInterval(() => {
    for (const board of BOARDS) {
      const name = `demo-${board}`;
      const observed = controlPlane.observed(name);
      const app = controlPlane.appObservation(name, 'telemetry');
      const last = controlPlane.telemetry(name).findLast(t => t.topic.endsWith('/uptime_s'));
      say(
        `  status ${name}: ${observed?.phase ?? 'not seen yet'}` +
          (app ? `, app telemetry ${app.phase}${app.error ? ` (${app.error})` : ''}` : '') +
          (last ? `, last ${last.topic}=${last.value}` : ''),
      );
    }
  }, 10_000);

  const stop = async () => {
    clearInterval(status);
    say('stopping');
    await Promise.all(devices.map(d => d.stop()));
    await admin.close();
    await gateway.stop();
    controlPlane.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch(err => {
  process.stderr.write(`wasmbed up: ${(err as Error).message}\n`);
  process.exit(1);
});
