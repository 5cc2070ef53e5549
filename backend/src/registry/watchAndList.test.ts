import { createRegistry } from './index';
import type { KubeObject, Registry } from './types';
import { context, device, devices, recorder, refusal, settle, tempDir } from './testing';

const ctx = context;
const inDefault = (name?: string, subresource?: 'status') => ({
  resource: devices(),
  namespace: 'default',
  name,
  subresource,
});

describe('watch', () => {
  let dir: string;
  let cleanup: () => void;
  let registry: Registry;
  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    registry = await createRegistry({ dataDir: dir, eventWindow: 50 });
  });
  afterEach(async () => {
    await registry.close();
    cleanup();
  });

  it('from "0": ADDED for what exists, then changes in revision order', async () => {
    const a = await registry.create(inDefault(), device('a'), ctx());
    const rec = recorder();
    await registry.watch(inDefault(), { resourceVersion: '0' }, ctx(), rec.onEvent);
    const b = await registry.create(inDefault(), device('b'), ctx());
    const a2 = await registry.update(
      inDefault('a', 'status'),
      { ...a, status: { phase: 'Connected' } },
      ctx(),
    );
    await registry.delete(inDefault('b'), {}, ctx());
    await settle();
    const rvB = Number(b.metadata.resourceVersion);
    expect(rec.lines()).toEqual([
      `ADDED a ${a.metadata.resourceVersion}`,
      `ADDED b ${rvB}`,
      `MODIFIED a ${a2.metadata.resourceVersion}`,
      `DELETED b ${Number(a2.metadata.resourceVersion) + 1}`,
    ]);
  });

  it('from a resourceVersion: only what came after it', async () => {
    const a = await registry.create(inDefault(), device('a'), ctx());
    await registry.create(inDefault(), device('b'), ctx());
    const rec = recorder();
    await registry.watch(
      inDefault(),
      { resourceVersion: a.metadata.resourceVersion },
      ctx(),
      rec.onEvent,
    );
    await settle();
    expect(rec.lines().map(l => l.split(' ').slice(0, 2).join(' '))).toEqual(['ADDED b']);
  });

  it('resumes across a re-open of the store with no gap and no duplicate', async () => {
    const rec = recorder();
    const handle = await registry.watch(inDefault(), { resourceVersion: '0' }, ctx(), rec.onEvent);
    for (const n of ['a', 'b', 'c']) await registry.create(inDefault(), device(n), ctx());
    await settle();
    handle.stop();
    const lastSeen = (rec.events[rec.events.length - 1]!.object as KubeObject).metadata
      .resourceVersion!;
    // Changes while nobody watches, then a restart.
    await registry.create(inDefault(), device('d'), ctx());
    await registry.delete(inDefault('a'), {}, ctx());
    await registry.close();
    registry = await createRegistry({ dataDir: dir, eventWindow: 50 });
    const resumed = recorder();
    await registry.watch(inDefault(), { resourceVersion: lastSeen }, ctx(), resumed.onEvent);
    await registry.create(inDefault(), device('e'), ctx());
    await settle();
    const all = [...rec.lines(), ...resumed.lines()];
    expect(all.map(l => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'ADDED a',
      'ADDED b',
      'ADDED c',
      'ADDED d',
      'DELETED a',
      'ADDED e',
    ]);
    const revs = all.map(l => Number(l.split(' ')[2]));
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
    expect(new Set(revs).size).toBe(revs.length);
  });

  it('hands a long opening over in chunks, with writes made meanwhile after it, once each', async () => {
    await registry.close();
    registry = await createRegistry({ dataDir: dir, eventWindow: 5000 });
    const first = await registry.create(inDefault(), device('a0'), ctx());
    await Promise.all(
      Array.from({ length: 449 }, (_, i) =>
        registry.create(inDefault(), device(`a${i + 1}`), ctx()),
      ),
    );
    const fromState = recorder();
    const replayed = recorder();
    await registry.watch(inDefault(), { resourceVersion: '0' }, ctx(), fromState.onEvent);
    await registry.watch(
      inDefault(),
      { resourceVersion: first.metadata.resourceVersion },
      ctx(),
      replayed.onEvent,
    );
    // Writes while the openings are being handed over.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => registry.create(inDefault(), device(`b${i}`), ctx())),
    );
    await settle();
    await settle();
    for (const rec of [fromState, replayed]) {
      const names = rec.events.map(e => (e.object as KubeObject).metadata.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names.filter(n => n!.startsWith('b'))).toHaveLength(20);
      expect(rec.events.every(e => e.type === 'ADDED')).toBe(true);
    }
    expect(fromState.events).toHaveLength(470);
    expect(replayed.events).toHaveLength(469);
    const revs = replayed.events.map(e =>
      Number((e.object as KubeObject).metadata.resourceVersion),
    );
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
  });

  it('answers 410 Expired for a resourceVersion older than the event window', async () => {
    const first = await registry.create(inDefault(), device('a'), ctx());
    for (let i = 0; i < 80; i++) await registry.create(inDefault(), device(`n${i}`), ctx());
    const s = await refusal(
      registry.watch(
        inDefault(),
        { resourceVersion: first.metadata.resourceVersion },
        ctx(),
        () => {},
      ),
    );
    expect(s).toMatchObject({ code: 410, reason: 'Expired' });
    expect(s.message).toMatch(
      new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`),
    );
  });

  it('starts a new store’s watchable history after its system namespaces: a watch from 1 is 410, as in kube', async () => {
    await registry.create(inDefault(), device('a'), ctx());
    const s = await refusal(registry.watch(inDefault(), { resourceVersion: '1' }, ctx(), () => {}));
    expect(s).toMatchObject({ code: 410, reason: 'Expired' });
    // A list at that revision is served (as etcd serves it): nothing existed then.
    const l = await registry.list(
      inDefault(),
      { resourceVersion: '1', resourceVersionMatch: 'Exact' },
      ctx(),
    );
    expect(l.items).toEqual([]);
  });

  it('follows objects into and out of a label selection', async () => {
    const a = await registry.create(inDefault(), device('a', { labels: { site: 'lab' } }), ctx());
    const rec = recorder();
    await registry.watch(
      inDefault(),
      { labelSelector: 'site=lab', resourceVersion: a.metadata.resourceVersion },
      ctx(),
      rec.onEvent,
    );
    const out = await registry.patch(
      inDefault('a'),
      'application/merge-patch+json',
      { metadata: { labels: { site: 'home' } } },
      {},
      ctx(),
    );
    await registry.patch(
      inDefault('a'),
      'application/merge-patch+json',
      { metadata: { labels: { site: 'lab' } } },
      {},
      ctx(),
    );
    await registry.create(inDefault(), device('b', { labels: { site: 'home' } }), ctx());
    await settle();
    expect(rec.lines().map(l => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'DELETED a',
      'ADDED a',
    ]);
    // As kube's watch cache: the object as it last matched, at the revision it left.
    expect((rec.events[0]!.object as KubeObject).metadata.labels).toEqual({ site: 'lab' });
    expect((rec.events[0]!.object as KubeObject).metadata.resourceVersion).toBe(
      out.metadata.resourceVersion,
    );
  });

  it('sendInitialEvents: the state, then a bookmark marking its end', async () => {
    await registry.create(inDefault(), device('a'), ctx());
    const rec = recorder();
    await registry.watch(
      inDefault(),
      { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersion: '' },
      ctx(),
      rec.onEvent,
    );
    await settle();
    expect(rec.events.map(e => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(rec.events[1]!.object).toEqual({
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Device',
      metadata: {
        resourceVersion: expect.any(String),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      },
    });
  });

  it('sends periodic bookmarks to watches that allow them', async () => {
    await registry.close();
    registry = await createRegistry({ dataDir: dir, bookmarkIntervalMs: 30 });
    const rec = recorder();
    await registry.watch(inDefault(), { allowWatchBookmarks: true }, ctx(), rec.onEvent);
    const quiet = recorder();
    await registry.watch(inDefault(), {}, ctx(), quiet.onEvent);
    await new Promise(r => setTimeout(r, 100));
    expect(rec.events.some(e => e.type === 'BOOKMARK')).toBe(true);
    expect(quiet.events).toEqual([]);
  });

  it('a stopped watch gets nothing more', async () => {
    const rec = recorder();
    const handle = await registry.watch(inDefault(), {}, ctx(), rec.onEvent);
    handle.stop();
    await registry.create(inDefault(), device('a'), ctx());
    await settle();
    expect(rec.events).toEqual([]);
  });
});

describe('list', () => {
  let cleanup: () => void;
  let registry: Registry;
  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    registry = await createRegistry({ dataDir: t.dir, eventWindow: 1000 });
    for (const [i, n] of ['e', 'b', 'a', 'd', 'c'].entries()) {
      await registry.create(
        inDefault(),
        device(n, { labels: { parity: i % 2 ? 'odd' : 'even', n } }),
        ctx(),
      );
    }
  });
  afterEach(async () => {
    await registry.close();
    cleanup();
  });
  const names = (l: { items: KubeObject[] }) => l.items.map(i => i.metadata.name);

  it('lists in name order with the store revision', async () => {
    const l = await registry.list(inDefault(), {}, ctx());
    expect(names(l)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(l).toMatchObject({ apiVersion: 'wasmbed.io/v1alpha1', kind: 'DeviceList' });
  });

  it.each([
    ['parity=even', ['a', 'c', 'e']],
    ['parity==odd', ['b', 'd']],
    ['parity!=odd', ['a', 'c', 'e']],
    ['n in (a,b,z)', ['a', 'b']],
    ['n notin (a,b)', ['c', 'd', 'e']],
    ['parity', ['a', 'b', 'c', 'd', 'e']],
    ['!parity', []],
    ['parity=even,n!=a', ['c', 'e']],
  ])('labelSelector %s', async (selector, expected) => {
    expect(names(await registry.list(inDefault(), { labelSelector: selector }, ctx()))).toEqual(
      expected,
    );
  });

  it('fieldSelector metadata.name, and 400 for a field kube does not support on CRs', async () => {
    expect(
      names(await registry.list(inDefault(), { fieldSelector: 'metadata.name=c' }, ctx())),
    ).toEqual(['c']);
    expect(
      names(await registry.list(inDefault(), { fieldSelector: 'metadata.name!=c' }, ctx())),
    ).toEqual(['a', 'b', 'd', 'e']);
    const s = await refusal(registry.list(inDefault(), { fieldSelector: 'spec.board=x' }, ctx()));
    expect(s).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('pages with limit/continue on one snapshot, even when objects change between pages', async () => {
    const p1 = await registry.list(inDefault(), { limit: 2 }, ctx());
    expect(names(p1)).toEqual(['a', 'b']);
    expect(p1.metadata.remainingItemCount).toBe(3);
    // Between pages: c deleted, bb created, d changed.
    await registry.delete(inDefault('c'), {}, ctx());
    await registry.create(inDefault(), device('bb'), ctx());
    await registry.patch(
      inDefault('d'),
      'application/merge-patch+json',
      { metadata: { labels: { changed: 'yes' } } },
      {},
      ctx(),
    );
    const p2 = await registry.list(
      inDefault(),
      { limit: 2, continue: p1.metadata.continue },
      ctx(),
    );
    expect(names(p2)).toEqual(['c', 'd']);
    expect(p2.items[1]!.metadata.labels?.changed).toBeUndefined();
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    const p3 = await registry.list(
      inDefault(),
      { limit: 2, continue: p2.metadata.continue },
      ctx(),
    );
    expect(names(p3)).toEqual(['e']);
    expect(p3.metadata.continue).toBe(''); // the last page, as kube writes it for custom resources
  });

  it('refuses a malformed continue token and resourceVersion with continue', async () => {
    expect((await refusal(registry.list(inDefault(), { continue: 'garbage!' }, ctx()))).code).toBe(
      400,
    );
    const p1 = await registry.list(inDefault(), { limit: 1 }, ctx());
    const s = await refusal(
      registry.list(inDefault(), { continue: p1.metadata.continue, resourceVersion: '1' }, ctx()),
    );
    expect(s.code).toBe(400);
  });

  it('listJsonPieces is the list’s JSON text in pieces, each page at the first page’s revision', async () => {
    const all = (p: { next(): string | undefined }) => {
      const out: string[] = [];
      for (let piece = p.next(); piece !== undefined; piece = p.next()) out.push(piece);
      return out;
    };
    for (const options of [{}, { limit: 2 }, { labelSelector: 'parity=odd' }]) {
      const pieces = await registry.listJsonPieces(inDefault(), options, ctx());
      const list = await registry.list(inDefault(), options, ctx());
      expect(all(pieces).join('')).toBe(JSON.stringify(list));
    }
    // 1,200 objects: three pages of 500; writes between pieces are not seen.
    await Promise.all(
      Array.from({ length: 1195 }, (_, i) =>
        registry.create(inDefault(), device(`m${String(i).padStart(4, '0')}`), ctx()),
      ),
    );
    const before = JSON.stringify(await registry.list(inDefault(), {}, ctx()));
    const pieces = await registry.listJsonPieces(inDefault(), {}, ctx());
    const first = pieces.next()!;
    await registry.delete(inDefault('m0900'), {}, ctx());
    await registry.create(inDefault(), device('m0900x'), ctx());
    await registry.delete(inDefault('a'), {}, ctx());
    const rest = all(pieces);
    expect(rest.length).toBe(3); // two more pages and the closing piece
    const streamed = first + rest.join('');
    expect(streamed).toBe(before);
    expect((JSON.parse(streamed) as { items: unknown[] }).items).toHaveLength(1200);
  });

  it('Exact resourceVersion lists the state at that revision', async () => {
    const before = await registry.list(inDefault(), {}, ctx());
    await registry.delete(inDefault('a'), {}, ctx());
    const exact = await registry.list(
      inDefault(),
      { resourceVersion: before.metadata.resourceVersion, resourceVersionMatch: 'Exact' },
      ctx(),
    );
    expect(names(exact)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const s = await refusal(registry.list(inDefault(), { resourceVersion: '999999' }, ctx()));
    expect(s).toMatchObject({ code: 504, reason: 'Timeout' });
  });
});
