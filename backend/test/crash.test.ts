import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHard, request, startApiProcess, watchStream, type ApiProcess } from './apiProcess';

/**
 * The crash test: `kill -9` of the API server process while 32 clients write. After a
 * restart from the same data directory every acknowledged write is there, nothing that was
 * never attempted (or half-written) is, and a watcher resuming from the last resourceVersion
 * it saw gets the rest of the history with no gap and no duplicate.
 */

const CLIENTS = 32;
const WRITE_PHASE_MS = 4000;
const DEVICES = '/apis/wasmbed.io/v1alpha1/namespaces/default/devices';

type Item = {
  metadata: { name: string; resourceVersion: string };
  spec?: { board?: string };
  status?: { phase?: string };
};

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('kill -9 of the API server while 32 clients write', () => {
  let dir: string;
  let api: ApiProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'api-crash-'));
  });
  afterAll(async () => {
    if (api) await killHard(api);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write, shows no partial one, and watchers resume without a gap', async () => {
    api = await startApiProcess(dir);
    const first = api;
    const watcher = watchStream(first, `${DEVICES}?watch=1&resourceVersion=0`);

    // name -> highest acknowledged resourceVersion, and whether a status write was acknowledged
    const acked = new Map<string, { rv: number; status: boolean }>();
    const attempted = new Set<string>();
    let stop = false;
    const client = async (c: number) => {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = 0; !stop; n++) {
          const name = `c${c}-${n}`;
          attempted.add(name);
          const created = await request(first, agent, 'POST', DEVICES, {
            apiVersion: 'wasmbed.io/v1alpha1',
            kind: 'Device',
            metadata: { name, labels: { client: String(c) } },
            spec: { board: 'mps2-an385', enrollment: { publicKey: `key-${name}` } },
          });
          if (created.status !== 201)
            throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
          acked.set(name, {
            rv: Number((created.body as Item).metadata.resourceVersion),
            status: false,
          });
          if (n % 2 === 1) {
            // Every other object also gets a status write (a PUT of /status, as gateways do).
            const body = { ...(created.body as Item), status: { phase: 'Connected' } };
            const updated = await request(first, agent, 'PUT', `${DEVICES}/${name}/status`, body);
            if (updated.status !== 200)
              throw new Error(`status ${name}: ${updated.status} ${JSON.stringify(updated.body)}`);
            acked.set(name, {
              rv: Number((updated.body as Item).metadata.resourceVersion),
              status: true,
            });
          }
        }
      } catch (error) {
        // After the kill every request fails with a network error: that is the end of this client.
        if (!stop) throw error;
      } finally {
        agent.destroy();
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    // The watcher goes away halfway (as a client that lost its connection), so its resume
    // after the restart must replay what it missed before and across the kill.
    await sleep(WRITE_PHASE_MS / 2);
    watcher.close();
    await watcher.ended;
    await sleep(WRITE_PHASE_MS / 2);
    stop = true;
    await killHard(first);
    await Promise.all(clients);
    expect(acked.size).toBeGreaterThan(100);

    const seenBefore = watcher.events.filter(e => e.type !== 'BOOKMARK');
    const lastSeen = seenBefore[seenBefore.length - 1]!.object.metadata.resourceVersion!;

    api = await startApiProcess(dir);
    const agent = new https.Agent({ keepAlive: true });
    const list = await request(api, agent, 'GET', DEVICES);
    expect(list.status).toBe(200);
    const items = (list.body as { items: Item[] }).items;
    const byName = new Map(items.map(i => [i.metadata.name, i]));

    // Every acknowledged write is present (an unacknowledged later write may have landed too).
    const missing = [...acked].filter(([name, a]) => {
      const item = byName.get(name);
      return (
        !item ||
        Number(item.metadata.resourceVersion) < a.rv ||
        (a.status && item.status?.phase !== 'Connected')
      );
    });
    expect(missing).toEqual([]);
    // Nothing half-written or invented: every object is one a client sent, whole.
    for (const item of items) {
      expect(attempted.has(item.metadata.name)).toBe(true);
      expect(item.spec?.board).toBe('mps2-an385');
    }

    // Resume the watch from the last revision seen before the crash.
    const resumed = watchStream(api, `${DEVICES}?watch=1&resourceVersion=${lastSeen}`);
    const seenNames = () =>
      new Set([...seenBefore, ...resumed.events].map(e => e.object.metadata.name));
    for (let i = 0; i < 200 && seenNames().size < items.length; i++) await sleep(50);
    resumed.close();
    await resumed.ended;
    agent.destroy();

    expect(resumed.events.length).toBeGreaterThan(0);
    const all = [...seenBefore, ...resumed.events.filter(e => e.type !== 'BOOKMARK')];
    const revisions = all.map(e => Number(e.object.metadata.resourceVersion));
    // No duplicate and in order: strictly increasing revisions across the restart.
    expect(revisions.every((r, i) => i === 0 || r > revisions[i - 1]!)).toBe(true);
    // No gap: every object that exists was announced, and each one's last event is its state.
    expect([...seenNames()].sort()).toEqual(items.map(i => i.metadata.name).sort());
    const lastEvent = new Map(
      all.map(e => [e.object.metadata.name, Number(e.object.metadata.resourceVersion)]),
    );
    for (const item of items)
      expect(lastEvent.get(item.metadata.name)).toBe(Number(item.metadata.resourceVersion));
    console.log(
      `api-crash: ${acked.size} objects acknowledged by ${CLIENTS} clients before kill -9, ${items.length} present after restart, ${seenBefore.length} events before and ${resumed.events.length} after resuming from ${lastSeen}`,
    );

    api.child.kill('SIGTERM');
    await new Promise(r => api!.child.once('exit', r));
    api = undefined;
  }, 60_000);
});
