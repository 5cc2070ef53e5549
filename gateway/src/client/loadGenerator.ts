import { DeviceClient, type GatewayAddress, type ReconnectPolicy } from './deviceClient';
import { DeviceIdentity } from './deviceIdentity';

/** Runs `task` over `items` with at most `concurrency` in flight; returns the elapsed ms. */
export async function withConcurrency<T>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
) {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return performance.now() - start;
}

type Progress = (phase: string, done: number) => void;

/**
 * N devices from one process, each with its own key: makes them and enrolls them. With several
 * gateways every client knows them all, each list rotated by the client's index so that the
 * fleet starts spread over the gateways (client i dials gateway i mod n first).
 */
export async function enrollFleet(
  address: GatewayAddress | readonly GatewayAddress[],
  tokens: { name: string; token: string }[],
  options: { concurrency?: number; onProgress?: Progress } = {},
): Promise<{ devices: DeviceClient[]; enrollMs: number }> {
  const devices: DeviceClient[] = [];
  const list: readonly GatewayAddress[] = Array.isArray(address)
    ? address
    : [address as GatewayAddress];
  for (const [i, { name }] of tokens.entries()) {
    const identity = await DeviceIdentity.create(name);
    await identity.csr(); // made on the device before it dials; not part of the gateway's rate
    const first = i % list.length;
    devices.push(new DeviceClient(identity, [...list.slice(first), ...list.slice(0, first)]));
  }
  let done = 0;
  const enrollMs = await withConcurrency(devices, options.concurrency ?? 64, async (d, i) => {
    await d.enroll(tokens[i]!.token);
    if (++done % 1000 === 0) options.onProgress?.('enrolled', done);
  });
  return { devices, enrollMs };
}

/** Opens every enrolled device's certified session; returns the elapsed ms. */
export async function connectFleet(
  devices: DeviceClient[],
  options: {
    concurrency?: number;
    localAddress?: string;
    heartbeats?: boolean;
    onProgress?: Progress;
  } = {},
): Promise<number> {
  let done = 0;
  return withConcurrency(devices, options.concurrency ?? 64, async d => {
    await d.connect({
      heartbeats: options.heartbeats,
      tls: options.localAddress
        ? { localAddress: options.localAddress, secureContext: d.secureContext() }
        : undefined,
    });
    if (++done % 1000 === 0) options.onProgress?.('connected', done);
  });
}

/**
 * Connects every enrolled device and keeps it connected (DeviceClient.keepConnected): each
 * moves to its next gateway when its session ends. Resolves once all were welcomed once;
 * returns the elapsed ms.
 */
export async function keepFleetConnected(
  devices: DeviceClient[],
  options: {
    concurrency?: number;
    heartbeats?: boolean;
    policy?: Partial<ReconnectPolicy>;
    onProgress?: Progress;
  } = {},
): Promise<number> {
  let done = 0;
  return withConcurrency(devices, options.concurrency ?? 64, async d => {
    await d.keepConnected({ heartbeats: options.heartbeats, policy: options.policy });
    if (++done % 1000 === 0) options.onProgress?.('connected', done);
  });
}
