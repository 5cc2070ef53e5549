import { DeviceClient, type GatewayAddress } from './deviceClient';
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

export interface Fleet {
  devices: DeviceClient[];
  enrollMs: number;
  connectMs: number;
}

/**
 * N devices from one process, each with its own key and certificate: make identities, enroll
 * them with their tokens, then open all certified sessions.
 */
export async function startFleet(
  address: GatewayAddress,
  tokens: { name: string; token: string }[],
  options: {
    concurrency?: number;
    localAddress?: string;
    heartbeats?: boolean;
    onProgress?: (phase: string, done: number) => void;
  } = {},
): Promise<Fleet> {
  const concurrency = options.concurrency ?? 64;
  const devices: DeviceClient[] = [];
  for (const { name } of tokens) {
    const identity = await DeviceIdentity.create(name);
    await identity.csr(); // made on the device before it dials; not part of the gateway's rate
    devices.push(new DeviceClient(identity, address));
  }
  let done = 0;
  const enrollMs = await withConcurrency(devices, concurrency, async (d, i) => {
    await d.enroll(tokens[i]!.token);
    if (++done % 1000 === 0) options.onProgress?.('enrolled', done);
  });
  done = 0;
  const connectMs = await withConcurrency(devices, concurrency, async d => {
    await d.connect({
      heartbeats: options.heartbeats,
      tls: options.localAddress ? { localAddress: options.localAddress } : {},
    });
    if (++done % 1000 === 0) options.onProgress?.('connected', done);
  });
  return { devices, enrollMs, connectMs };
}
