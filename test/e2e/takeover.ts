import type { DeviceClient } from '../../gateway/src/client/deviceClient';
import { resourcePath, type KubeObject } from '../../scripts/platform/kubeClient';
import type { Platform } from '../../scripts/platform/platform';
import { until } from '../../scripts/platform/processes';
import type { EmulatedDevice } from '../../scripts/platform/qemuDevices';
import { available } from './rollout';
import { deploysReceived } from './tsFleet';

export const TAKEOVER_DEADLINE_MS = 30_000;

export interface TakeoverResult {
  killed: string;
  survivor: string;
  held: Record<string, number>;
  orphaned: number;
  reconnected: number;
  maxReconnectMs: number;
  p50ReconnectMs: number;
  /** kill -9 → the API shows every Device Connected via the survivor. */
  apiStatusesRightMs: number;
  /** kill -9 → the last orphaned Device marked Unreachable (Lease expiry + Device controller). */
  lastUnreachableMs: number;
  /** kill -9 → the last orphaned Device written Connected by the survivor. */
  lastTakenOverMs: number;
  deploysResent: number;
  problems: string[];
}

export function percentile(sorted: number[], q: number): number {
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
    : NaN;
}

/**
 * Kills (-9) the gateway holding the most devices and measures the takeover: per device, the
 * time from the kill until it is welcomed again (TypeScript clients: their own `connected`
 * event; QEMU devices: the WELCOME line on their console), whether any module was
 * sent again (clients count deployBegin; QEMU consoles print "deploy X: begin"), and when the
 * API shows every Device Connected via the survivor. `devices` are all Device names expected.
 */
export async function killBusierGateway(
  p: Platform,
  clients: DeviceClient[],
  qemu: EmulatedDevice[],
  deviceNames: string[],
): Promise<TakeoverResult> {
  const problems: string[] = [];
  const list = (kind: string) => p.admin.list(resourcePath(kind, p.namespace));
  const before = (await list('Device')).filter(d => deviceNames.includes(d.metadata.name));
  const held: Record<string, number> = {};
  for (const d of before)
    held[String(d.status?.gateway)] = (held[String(d.status?.gateway)] ?? 0) + 1;
  const gateways = [...p.gateways.keys()];
  const killed = [...gateways].sort((a, b) => (held[b] ?? 0) - (held[a] ?? 0))[0]!;
  const survivor = gateways.find(g => g !== killed)!;
  const victimPort = p.gateways.get(killed)!.port;
  const orphans = clients.filter(c => c.lastConnected?.gateway.port === victimPort);
  const qemuNames = new Set(qemu.map(d => d.name));
  const qemuOrphans = before
    .filter(d => d.status?.gateway === killed && qemuNames.has(d.metadata.name))
    .map(d => d.metadata.name);
  const deploysBefore = deploysReceived(clients);
  // Only what ran before the kill must run after it: the takeover is judged, not the deploy.
  const runningBefore = new Set(
    (await list('AppInstance')).filter(available).map(i => i.metadata.name),
  );

  const reconnect = new Map<string, number>();
  let t0 = Date.now();
  // What the API shows of each orphaned Device, from a watch: when it went Unreachable (the
  // Device controller, once the dead gateway's Lease expired) and when the survivor wrote it
  // Connected. Together they say where the time to a right API view goes.
  const orphanNames = new Set(
    before.filter(d => d.status?.gateway === killed).map(d => d.metadata.name),
  );
  const unreachableAt = new Map<string, number>();
  const takenOverAt = new Map<string, number>();
  const deviceWatch = p.admin.watch(resourcePath('Device', p.namespace), (type, d) => {
    const name = d.metadata.name;
    if (type !== 'MODIFIED' || !orphanNames.has(name)) return;
    if (d.status?.phase === 'Unreachable' && !unreachableAt.has(name))
      unreachableAt.set(name, Date.now() - t0);
    if (d.status?.phase === 'Connected' && d.status.gateway === survivor && !takenOverAt.has(name))
      takenOverAt.set(name, Date.now() - t0);
  });
  const listeners = orphans.map(c => {
    const listener = (info: { atMs: number }) => {
      if (info.atMs > t0 && !reconnect.has(c.identity.name))
        reconnect.set(c.identity.name, info.atMs - t0);
    };
    c.on('connected', listener);
    return () => c.off('connected', listener);
  });
  t0 = Date.now();
  await p.gateways.get(killed)!.kill9();
  // A QEMU device says itself when it is back: its console prints the new session's WELCOME.
  const qemuOrphanDevices = qemu.filter(d => qemuOrphans.includes(d.name));
  const qemuBack = new Map<string, number>();
  const since = (d: EmulatedDevice, pattern: RegExp) => {
    for (let k = 0; k < d.console.length; k++)
      if (d.consoleAt[k]! > t0 && pattern.test(d.console[k]!)) return d.consoleAt[k]! - t0;
    return undefined;
  };
  try {
    await until(
      'every orphaned device connected again',
      () => {
        for (const d of qemuOrphanDevices) {
          const ms = qemuBack.has(d.name) ? undefined : since(d, /session: WELCOME/);
          if (ms !== undefined) qemuBack.set(d.name, ms);
        }
        return reconnect.size === orphans.length && qemuBack.size === qemuOrphans.length;
      },
      TAKEOVER_DEADLINE_MS,
      100,
    );
  } catch (err) {
    problems.push(
      `${(err as Error).message}: ${reconnect.size}/${orphans.length} clients, ${qemuBack.size}/${qemuOrphans.length} QEMU devices`,
    );
  } finally {
    listeners.forEach(off => off());
  }
  const times = [...reconnect.values(), ...qemuBack.values()].sort((a, b) => a - b);

  let apiStatusesRightMs = NaN;
  const right = (d: KubeObject) => d.status?.phase === 'Connected' && d.status.gateway === survivor;
  try {
    await until(
      'every Device Connected via the survivor in the API',
      async () => {
        const now = (await list('Device')).filter(d => deviceNames.includes(d.metadata.name));
        return now.length === deviceNames.length && now.every(right);
      },
      // The same 30 s from the kill: the API's view is part of "connected again".
      Math.max(1000, TAKEOVER_DEADLINE_MS - (Date.now() - t0)),
      250,
    );
    apiStatusesRightMs = Date.now() - t0;
  } catch (err) {
    const wrong = (await list('Device')).filter(
      d => deviceNames.includes(d.metadata.name) && !right(d),
    );
    problems.push(
      `${(err as Error).message}: ${wrong.length} not, e.g. ${wrong
        .slice(0, 3)
        .map(d => `${d.metadata.name} ${d.status?.phase} via ${d.status?.gateway}`)
        .join('; ')}`,
    );
  }
  deviceWatch.close();
  const clientResent = deploysReceived(clients) - deploysBefore;
  const qemuResent = qemu.filter(d => since(d, /deploy \S+: begin/) !== undefined);
  if (clientResent > 0) problems.push(`${clientResent} modules re-sent to TypeScript clients`);
  if (qemuResent.length > 0)
    problems.push(`a module re-sent to ${qemuResent.map(d => d.name).join(', ')}`);
  const notRunning = (await list('AppInstance')).filter(
    i => runningBefore.has(i.metadata.name) && !available(i),
  );
  if (notRunning.length > 0)
    problems.push(
      `AppInstances Running before the kill and not after it: ${notRunning
        .slice(0, 5)
        .map(i => `${i.metadata.name} ${i.status?.phase}`)
        .join(', ')}`,
    );
  const max = percentile(times, 1);
  if (max > TAKEOVER_DEADLINE_MS)
    problems.push(`slowest reconnect ${max} ms > ${TAKEOVER_DEADLINE_MS}`);
  return {
    killed,
    survivor,
    held,
    orphaned: orphans.length + qemuOrphans.length,
    reconnected: times.length,
    maxReconnectMs: max,
    p50ReconnectMs: percentile(times, 0.5),
    apiStatusesRightMs,
    lastUnreachableMs: Math.max(...unreachableAt.values()),
    lastTakenOverMs: Math.max(...takenOverAt.values()),
    deploysResent: clientResent + qemuResent.length,
    problems,
  };
}
