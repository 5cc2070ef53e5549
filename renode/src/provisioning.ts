import { randomBytes, X509Certificate } from 'node:crypto';
import { RFC1123_SUBDOMAIN } from '@wasmbed/plugin-wasmbed-common';

/**
 * The provisioning block a device reads at boot (firmware/device/README.md): magic `WBP1`,
 * then NUL-terminated `key=value` lines, at most 4 KB, loaded by QEMU's generic loader at a
 * fixed address per board.
 */
export const PROVISIONING_ADDRESS: Record<string, number> = {
  'mps2-an385': 0x203ff000,
  'mps2-an386': 0x203ff000,
  'mps2-an500': 0x203ff000,
  'mps2-an505': 0x381ff000,
};
export const PROVISIONING_MAX_BYTES = 4096;

/** The firmware keeps at most this many gateways (firmware/device/src/gateways.h). */
export const MAX_GATEWAYS = 4;

export interface Provisioning {
  /**
   * Device ports of the gateways as the device reaches them (QEMU user networking: 10.0.2.2),
   * `A.B.C.D:PORT` each, 1 to MAX_GATEWAYS; enrollment is PORT+1 of each. The device uses the
   * first and moves to the next when a connection or session fails.
   */
  gateways?: readonly string[];
  /** One gateway: the same as `gateways: [gateway]` (give one or the other). */
  gateway?: string;
  device: string;
  token?: string;
  caPem: string;
  /** Host file (relative to QEMU's working directory) that holds the device's flash. */
  flash: string;
  /** Entropy seed; fresh random bytes unless given. */
  seed?: Buffer;
  /**
   * DNS name the gateway's certificate must carry; the device sends it as SNI and refuses a
   * gateway whose certificate lacks it. Default `localhost`, a name of the gateway's default
   * server certificate (the device reaches the gateway by address, 10.0.2.2, not by name).
   */
  serverName?: string;
}

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const GATEWAY_ADDRESS = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}:([1-9]\\d{0,4})$`);

/**
 * The gateway list as the firmware parses it (firmware/device/src/gateways.c): 1 to
 * MAX_GATEWAYS distinct `A.B.C.D:PORT`, decimal octets without leading zeros, PORT 1-65534 (its
 * enrollment port PORT+1 must exist too). Refused here so a bad list fails at the tool, with
 * the entry named, rather than as a device that halts at boot.
 */
export function gatewayList(p: Pick<Provisioning, 'gateway' | 'gateways'>): string[] {
  if (p.gateway !== undefined && p.gateways !== undefined)
    throw new ProvisioningError('give gateway or gateways, not both');
  const list = p.gateways ? [...p.gateways] : p.gateway !== undefined ? [p.gateway] : [];
  if (list.length === 0) throw new ProvisioningError('no gateway given');
  if (list.length > MAX_GATEWAYS)
    throw new ProvisioningError(
      `${list.length} gateways given; a device keeps at most ${MAX_GATEWAYS}`,
    );
  list.forEach((address, i) => {
    const port = GATEWAY_ADDRESS.exec(address)?.[1];
    if (!port || Number(port) > 65534) {
      throw new ProvisioningError(
        `gateway ${i + 1} must be A.B.C.D:PORT (PORT 1-65534) as the device reaches it, not ${address}`,
      );
    }
    if (list.indexOf(address) !== i)
      throw new ProvisioningError(`gateway ${address} is given twice`);
  });
  return list;
}

export function provisioningBlock(p: Provisioning): Buffer {
  const gateways = gatewayList(p);
  if (!RFC1123_SUBDOMAIN.test(p.device) || p.device.length > 63) {
    throw new ProvisioningError(
      `device name ${p.device} is not an RFC 1123 name of at most 63 bytes`,
    );
  }
  const serverName = p.serverName ?? 'localhost';
  if (!RFC1123_SUBDOMAIN.test(serverName) || serverName.length > 63) {
    throw new ProvisioningError(`server name ${serverName} is not a DNS name of at most 63 bytes`);
  }
  const caDer = new X509Certificate(p.caPem).raw;
  const lines = [
    `gateway=${gateways.join(',')}`,
    `device=${p.device}`,
    ...(p.token ? [`token=${p.token}`] : []),
    `flash=${p.flash}`,
    `seed=${(p.seed ?? randomBytes(32)).toString('hex')}`,
    `time=${Math.floor(Date.now() / 1000)}`,
    `server_name=${serverName}`,
    `ca=${caDer.toString('base64')}`,
  ];
  for (const line of lines) {
    if (line.includes('\n') || line.includes('\0'))
      throw new ProvisioningError(`provisioning value holds a newline: ${line}`);
  }
  const block = Buffer.concat([
    Buffer.from('WBP1'),
    Buffer.from(lines.join('\n') + '\n'),
    Buffer.from([0]),
  ]);
  if (block.length > PROVISIONING_MAX_BYTES) {
    throw new ProvisioningError(
      `provisioning block of ${block.length} bytes exceeds ${PROVISIONING_MAX_BYTES}`,
    );
  }
  return block;
}
