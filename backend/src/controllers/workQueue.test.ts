import { WorkQueue } from './workQueue';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  it('never hands out a key being processed; an add meanwhile runs it again after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then(k => (second = k));
    await sleep(5);
    expect(second).toBeUndefined();
    q.done(first!);
    await sleep(0);
    expect(second).toBe('a');
  });

  it('addAfter keeps the earliest requeue of a key', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 1000);
    q.addAfter('a', 20);
    q.addAfter('a', 500);
    const started = Date.now();
    expect(await q.get()).toBe('a');
    expect(Date.now() - started).toBeLessThan(400);
    q.shutDown();
  });

  it('backs off a failing key exponentially and forgets on success', async () => {
    const q = new WorkQueue({ baseRetryMs: 10 });
    const times: number[] = [];
    let t = Date.now();
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      const k = await q.get();
      times.push(Date.now() - t);
      t = Date.now();
      q.done(k!);
    }
    expect(times[3]!).toBeGreaterThanOrEqual(70); // 10, 20, 40, 80 ms
    q.forget('a');
    t = Date.now();
    q.addRateLimited('a');
    await q.get();
    expect(Date.now() - t).toBeLessThan(60);
    q.shutDown();
  });

  it('drops and counts keys past its bound', () => {
    const q = new WorkQueue({ maxKeys: 2 });
    q.add('a');
    q.add('b');
    q.add('c');
    expect(q.length).toBe(2);
    expect(q.dropped).toBe(1);
  });
});
