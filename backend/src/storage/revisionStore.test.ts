import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevisionStore, type StoredEvent } from './revisionStore';

describe('RevisionStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revstore-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('acknowledges a write only once committed, and a re-opened store has it', async () => {
    const store = RevisionStore.open(dir);
    const rev = await store.write(tx => tx.put('a/b//x', r => JSON.stringify({ r })));
    expect(rev).toBe(1);
    await store.close();
    const again = RevisionStore.open(dir);
    expect(again.get('a/b//x')).toEqual({ key: 'a/b//x', rev: 1, json: '{"r":1}' });
    expect(again.currentRevision()).toBe(1);
    await again.close();
  });

  it('folds writes queued together into one transaction and resolves every one', async () => {
    const store = RevisionStore.open(dir);
    const batches: StoredEvent[][] = [];
    store.onCommit(events => batches.push(events));
    const revs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.write(tx => tx.put(`k/${i}`, r => `{"r":${r}}`))),
    );
    expect(revs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map(e => e.rev)).toEqual(revs);
    await store.close();
  });

  it('undoes only the write that failed; the revision stays contiguous', async () => {
    const store = RevisionStore.open(dir);
    const results = await Promise.allSettled([
      store.write(tx => tx.put('k/1', () => '1')),
      store.write(tx => {
        tx.put('k/2', () => '2');
        throw new Error('refused');
      }),
      store.write(tx => tx.put('k/3', () => '3')),
    ]);
    expect(results.map(r => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.get('k/2')).toBeUndefined();
    expect(store.get('k/3')!.rev).toBe(2);
    expect(store.eventsAfter(0, '').map(e => [e.rev, e.key])).toEqual([
      [1, 'k/1'],
      [2, 'k/3'],
    ]);
    await store.close();
  });

  it('logs every change with the previous value, and compacts to the window', async () => {
    const store = RevisionStore.open(dir, { eventWindow: 10 });
    await store.write(tx => tx.put('k/a', () => 'v1'));
    await store.write(tx => tx.put('k/a', () => 'v2'));
    await store.write(tx => tx.remove('k/a', () => 'v2-deleted'));
    expect(store.eventsAfter(0, 'k/').map(e => [e.type, e.json, e.prevJson])).toEqual([
      ['ADDED', 'v1', null],
      ['MODIFIED', 'v2', 'v1'],
      ['DELETED', 'v2-deleted', 'v2'],
    ]);
    for (let i = 0; i < 30; i++) await store.write(tx => tx.put(`k/${i}`, () => 'x'));
    expect(store.currentRevision()).toBe(33);
    expect(store.compactedRevision()).toBeGreaterThan(0);
    expect(store.compactedRevision()).toBeLessThanOrEqual(33 - 10);
    const kept = store.eventsAfter(0, '');
    expect(kept[0]!.rev).toBe(store.compactedRevision() + 1);
    expect(kept[kept.length - 1]!.rev).toBe(33);
    await store.close();
    const again = RevisionStore.open(dir, { eventWindow: 10 });
    expect(again.compactedRevision()).toBe(store.compactedRevision());
    expect(again.currentRevision()).toBe(33);
    await again.close();
  });

  it('ranges keys under a prefix in key order, after a given key', async () => {
    const store = RevisionStore.open(dir);
    await Promise.all(
      ['p/b', 'p/a', 'q/a', 'p/c', 'p-x/a'].map(k => store.write(tx => tx.put(k, () => k))),
    );
    expect(store.range('p/', undefined, 10).map(o => o.key)).toEqual(['p/a', 'p/b', 'p/c']);
    expect(store.range('p/', 'p/a', 1).map(o => o.key)).toEqual(['p/b']);
    expect(store.count('p/', 'p/a')).toBe(2);
    await store.close();
  });

  it('simulates a write without storing it or spending a revision', async () => {
    const store = RevisionStore.open(dir);
    const rev = store.simulate(tx => tx.put('k/a', r => String(r)));
    expect(rev).toBe(1);
    expect(store.get('k/a')).toBeUndefined();
    expect(store.currentRevision()).toBe(0);
    await store.close();
  });

  it('bounds the event log by bytes too: large objects cannot fill the disk through it', async () => {
    const store = RevisionStore.open(dir, { eventLogBytes: 100_000 });
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 30; i++)
      await store.write(tx => tx.put(`k/${i % 3}`, () => `"${big}${i}"`));
    const kept = store.eventsAfter(0, '');
    const bytes = kept.reduce((n, e) => n + e.json.length + (e.prevJson?.length ?? 0), 0);
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(store.compactedRevision()).toBeGreaterThan(0);
    expect(kept[kept.length - 1]!.rev).toBe(30);
    await store.close();
  });
});
