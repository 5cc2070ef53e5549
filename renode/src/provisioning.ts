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

export interface Provisioning {
  /** Device port of the gateway as the device reaches it (QEMU user networking: 10.0.2.2). */
  gateway: string;
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

export function provisioningBlock(p: Provisioning): Buffer {
  if (!/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(p.gateway)) {
    throw new ProvisioningError(
      `gateway must be A.B.C.D:PORT as the device reaches it, not ${p.gateway}`,
    );
  }
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
    `gateway=${p.gateway}`,
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
