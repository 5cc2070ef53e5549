import { DeviceClient, type GatewayAddress } from '../../gateway/src/client/deviceClient';
import { DeviceIdentity } from '../../gateway/src/client/deviceIdentity';
import { registerDevice } from '../../scripts/platform/fleet';
import type { Platform } from '../../scripts/platform/platform';

const CLIENTS_PER_ADDRESS = 50;

/** The TypeScript device clients of a failover run, with the gateway addresses they know. */
export interface TsFleet {
  clients: DeviceClient[];
  close(): void;
}

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += width)
    await Promise.all(items.slice(i, i + width).map(fn));
}

/**
 * Registers `count` devices (Device + token Secret), enrolls each TypeScript client with its
 * token and keeps it connected. Every client knows both gateways; half list them one way round
 * and half the other, so the fleet spreads over both as real devices provisioned by region
 * would, and each moves to the other gateway when its own goes.
 */
export async function startTsFleet(
  p: Platform,
  prefix: string,
  count: number,
  caPem: string,
): Promise<TsFleet> {
  const addresses = (localAddress: string): GatewayAddress[] =>
    [...p.gateways.values()].map(g => ({
      host: '127.0.0.1',
      port: g.port,
      enrollPort: g.port + 1,
      caPem,
      localAddress,
    }));
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
  const tokens = new Map<string, string>();
  await inBatches(names, 25, async name => {
    tokens.set(name, await registerDevice(p.admin, p.namespace, name, 'mps2-an385'));
  });
  const clients: DeviceClient[] = [];
  const close = () => clients.forEach(c => c.close());
  try {
    await inBatches(names, 20, async name => {
      const i = names.indexOf(name);
      // A gateway admits at most 64 connections per source address (as from one NAT): the
      // clients come from 127.0.1.X, 50 per address, as devices behind many routers would.
      const own = addresses(`127.0.1.${1 + Math.floor(i / CLIENTS_PER_ADDRESS)}`);
      const order = i % 2 === 0 ? own : [...own].reverse();
      const client = new DeviceClient(await DeviceIdentity.create(name), order);
      clients.push(client);
      await client.enroll(tokens.get(name));
      await client.keepConnected();
    });
  } catch (err) {
    close();
    throw err;
  }
  return { clients, close };
}

/** Sum of deployBegin messages the clients received (a re-sent module raises it). */
export function deploysReceived(clients: DeviceClient[]): number {
  let n = 0;
  for (const c of clients) for (const v of c.deploysReceived.values()) n += v;
  return n;
}
