import net from 'node:net';

/** Resolves true when `port` on loopback can be bound now (and releases it at once). */
function canBind(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks as free on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` consecutive free loopback ports, the first returned. A gateway takes three (devices,
 * enrollment = +1, admin = +2) and the devices are provisioned with the first alone, so the
 * three must be adjacent. Free now is no promise for later: the caller binds them at once.
 */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await freePort();
    if (first + count - 1 > 65535) continue;
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = await canBind(first + i);
    if (ok) return first;
  }
  throw new Error(`found no ${count} adjacent free ports on 127.0.0.1`);
}
