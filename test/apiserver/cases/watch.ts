/** Watch: event order for scripted writes, resume from a version, bookmarks, 410, selectors. */
import { Watch } from '@kubernetes/client-node';
import { assert, at, names, nsPath, tableCells, type Case } from '../case';
import { device } from '../fixtures';
import type { ServerUnderTest } from '../servers';

const MERGE = 'application/merge-patch+json';
const EVENT_WAIT_MS = 15_000;

interface Ev {
  type: string;
  object: {
    metadata?: {
      name?: string;
      resourceVersion?: string;
      generation?: number;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };
    status?: unknown;
    kind?: string;
    apiVersion?: string;
    code?: number;
    reason?: string;
    message?: string;
  };
}

const summary = (e: unknown) => {
  const ev = e as Ev;
  if (ev.type === 'ERROR') return { type: ev.type, object: ev.object };
  return {
    type: ev.type,
    name: ev.object?.metadata?.name,
    resourceVersion: ev.object?.metadata?.resourceVersion,
    generation: ev.object?.metadata?.generation,
    labels: ev.object?.metadata?.labels,
    status: ev.object?.status,
  };
};

/** The scripted writes: five events on two devices. */
async function script(s: ServerUnderTest, ns: string) {
  await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
  await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
    body: { metadata: { labels: { tier: 'edge' } } },
    contentType: MERGE,
  });
  await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd2') });
  await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd2', 'status'), {
    body: { status: { phase: 'Connected' } },
    contentType: MERGE,
  });
  await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
}

const listRv = async (s: ServerUnderTest, ns: string) =>
  String(
    at((await s.req('viewer', 'GET', nsPath(ns, 'devices'))).body, 'metadata.resourceVersion'),
  );

/** client-node's Watch, as a controller uses it: events until `count` arrived. */
function clientNodeWatch(
  s: ServerUnderTest,
  path: string,
  query: Record<string, string | boolean>,
  count: number,
) {
  const events: unknown[] = [];
  let abort: AbortController | undefined;
  const done = new Promise<unknown[]>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `client-node watch: ${events.length} of ${count} events in ${EVENT_WAIT_MS} ms`,
          ),
        ),
      EVENT_WAIT_MS,
    );
    void new Watch(s.client('viewer'))
      .watch(
        path,
        query,
        (type, object) => {
          events.push({ type, object });
          if (events.length >= count) {
            clearTimeout(timer);
            resolve(events);
          }
        },
        err => {
          if (events.length < count) {
            clearTimeout(timer);
            reject(new Error(`client-node watch ended: ${String(err)}`));
          }
        },
      )
      .then(a => (abort = a), reject);
  });
  return { done, stop: () => abort?.abort() };
}

export const watchCases: Case[] = [
  {
    name: 'watch: event sequence of scripted writes (client-node), then resume from the middle',
    run: async (s, ns) => {
      const from = await listRv(s, ns);
      const w = clientNodeWatch(s, nsPath(ns, 'devices'), { resourceVersion: from }, 5);
      await new Promise(r => setTimeout(r, 300)); // the watch is registered before the writes
      await script(s, ns);
      const events = await w.done.finally(() => w.stop());
      // Resume from the second event's version: exactly events 3..5 again.
      const second = String((events[1] as Ev).object.metadata?.resourceVersion);
      const resumed = s.watch(
        'viewer',
        `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${second}`,
      );
      const again = await resumed.waitFor(3, EVENT_WAIT_MS).finally(() => resumed.close());
      await new Promise(r => setTimeout(r, 300));
      return {
        events: events.map(summary),
        resumed: again.map(summary),
        extraAfterResume: resumed.events.length - 3,
      };
    },
    expect: o => {
      const seq = (o.events as { type: string; name: string }[]).map(e => `${e.type} ${e.name}`);
      assert.deepEqual(seq, ['ADDED d1', 'MODIFIED d1', 'ADDED d2', 'MODIFIED d2', 'DELETED d1']);
      assert.deepEqual(
        o.resumed,
        (o.events as unknown[]).slice(2),
        'resume repeats exactly the events after the version',
      );
      assert.equal(o.extraAfterResume, 0);
    },
  },
  {
    name: 'watch: deletion held by a finalizer (MODIFIED, then DELETED on release), deletecollection',
    run: async (s, ns) => {
      const from = await listRv(s, ns);
      const w = s.watch('viewer', `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${from}`);
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { metadata: { finalizers: ['wasmbed.io/hold'] } }),
      });
      await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd1'));
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { finalizers: null } },
        contentType: MERGE,
      });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd2', { labels: { batch: 'x' } }),
      });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd3', { labels: { batch: 'x' } }),
      });
      await s.req('editor', 'DELETE', `${nsPath(ns, 'devices')}?labelSelector=batch%3Dx`);
      const events = await w.waitFor(7, EVENT_WAIT_MS).finally(() => w.close());
      return {
        events: events.map(e => {
          const ev = e as Ev & {
            object: { metadata?: { deletionTimestamp?: string; finalizers?: string[] } };
          };
          return {
            ...summary(e),
            deleting: ev.object.metadata?.deletionTimestamp !== undefined,
            finalizers: ev.object.metadata?.finalizers ?? [],
          };
        }),
      };
    },
    expect: o => {
      const seq = (o.events as { type: string; name: string; deleting: boolean }[]).map(
        e => `${e.type} ${e.name}${e.deleting ? ' deleting' : ''}`,
      );
      // Releasing the last finalizer deletes at once: one DELETED event (carrying the state
      // before the release), no MODIFIED for the finalizer's removal.
      assert.deepEqual(seq.slice(0, 3), [
        'ADDED d1',
        'MODIFIED d1 deleting',
        'DELETED d1 deleting',
      ]);
      assert.deepEqual(seq.slice(3, 5), ['ADDED d2', 'ADDED d3']);
      assert.deepEqual(seq.slice(5).sort(), ['DELETED d2', 'DELETED d3']);
    },
  },
  {
    name: 'watch: label selector watch (objects entering and leaving the selection)',
    run: async (s, ns) => {
      const from = await listRv(s, ns);
      const w = s.watch(
        'viewer',
        `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${from}&labelSelector=tier%3Dedge`,
      );
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd1', { labels: { tier: 'edge' } }),
      });
      await s.req('editor', 'POST', nsPath(ns, 'devices'), {
        body: device(ns, 'd2', { labels: { tier: 'core' } }),
      });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd2'), {
        body: { metadata: { labels: { tier: 'edge' } } },
        contentType: MERGE,
      });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { labels: { tier: 'core' } } },
        contentType: MERGE,
      });
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd1'), {
        body: { metadata: { labels: { tier: 'lab' } } },
        contentType: MERGE,
      });
      await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd2'));
      const events = await w.waitFor(4, EVENT_WAIT_MS).finally(() => w.close());
      return { code: await w.code, events: events.map(summary) };
    },
    expect: o => {
      const seq = (o.events as { type: string; name: string }[]).map(e => `${e.type} ${e.name}`);
      assert.deepEqual(seq, ['ADDED d1', 'ADDED d2', 'DELETED d1', 'DELETED d2']);
    },
  },
  {
    name: 'watch: field selector (one object by name) and across all namespaces',
    run: async (s, ns) => {
      const from = await listRv(s, ns);
      const byName = s.watch(
        'viewer',
        `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${from}&fieldSelector=metadata.name%3Dd2`,
      );
      // Across namespaces, narrowed to this case's objects by a label.
      const all = s.watch(
        'viewer',
        `/apis/wasmbed.io/v1alpha1/devices?watch=1&resourceVersion=${from}&labelSelector=case%3D${ns}`,
      );
      for (const name of ['d1', 'd2', 'd3']) {
        await s.req('editor', 'POST', nsPath(ns, 'devices'), {
          body: device(ns, name, { labels: { case: ns } }),
        });
      }
      await s.req('editor', 'PATCH', nsPath(ns, 'devices', 'd2'), {
        body: { spec: { revoked: true } },
        contentType: MERGE,
      });
      await s.req('editor', 'DELETE', nsPath(ns, 'devices', 'd2'));
      const one = await byName.waitFor(3, EVENT_WAIT_MS).finally(() => byName.close());
      const every = await all.waitFor(5, EVENT_WAIT_MS).finally(() => all.close());
      const list = await s.req(
        'viewer',
        'GET',
        `/apis/wasmbed.io/v1alpha1/devices?labelSelector=case%3D${ns}`,
      );
      const kubectl = await s.kubectl('viewer', ['get', 'devices', '-A', '-l', `case=${ns}`]);
      return {
        byName: one.map(summary),
        all: every.map(summary),
        list: names(list),
        kubectl: { table: tableCells(kubectl.stdout) },
      };
    },
    expect: o => {
      const seq = (k: string) =>
        (o[k] as { type: string; name: string }[]).map(e => `${e.type} ${e.name}`);
      assert.deepEqual(seq('byName'), ['ADDED d2', 'MODIFIED d2', 'DELETED d2']);
      assert.deepEqual(seq('all'), [
        'ADDED d1',
        'ADDED d2',
        'ADDED d3',
        'MODIFIED d2',
        'DELETED d2',
      ]);
      assert.deepEqual(o.list, ['d1', 'd3']);
      assert.equal((at(o, 'kubectl.table') as string[][])[0]?.[0], 'NAMESPACE');
    },
  },
  {
    // kube-apiserver sends a watcher a bookmark about once a minute, or 2 s before the
    // watch's timeoutSeconds: a 5 s watch gets one within a bounded time. (The
    // initial-events-end bookmark of sendInitialEvents=true needs etcd's RequestWatchProgress,
    // which the etcd 3.4 of test/cluster lacks: kube answers such a watch with an ERROR
    // event, so that form is not compared.)
    name: 'watch: bookmarks with allowWatchBookmarks (shape, before the timeout ends the watch)',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const from = await listRv(s, ns);
      const w = s.watch(
        'viewer',
        `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${from}&allowWatchBookmarks=true&timeoutSeconds=5`,
      );
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd2') });
      const events = await w
        .waitUntil(
          evs => evs.some(e => (e as Ev).type === 'BOOKMARK' || (e as Ev).type === 'ERROR'),
          EVENT_WAIT_MS,
        )
        .catch(() => w.events.slice());
      const ended = await w.endsWithin(EVENT_WAIT_MS);
      w.close();
      const bookmark = events.find(e => (e as Ev).type === 'BOOKMARK') as Ev | undefined;
      // Without allowWatchBookmarks: no bookmark, and the watch ends at its timeout.
      const plain = s.watch(
        'viewer',
        `${nsPath(ns, 'devices')}?watch=1&resourceVersion=${from}&timeoutSeconds=3`,
      );
      const plainEnded = await plain.endsWithin(EVENT_WAIT_MS);
      plain.close();
      return {
        code: await w.code,
        before: events.filter(e => (e as Ev).type !== 'BOOKMARK').map(summary),
        bookmark: bookmark && { type: bookmark.type, object: bookmark.object },
        bookmarkNewerThanEvents: bookmark
          ? Number(bookmark.object.metadata?.resourceVersion) >= Number(from)
          : false,
        ended,
        plain: { ended: plainEnded, types: plain.events.map(e => (e as Ev).type) },
      };
    },
    expect: o => {
      assert.equal(o.code, 200);
      assert.deepEqual(
        (o.before as { type: string; name: string }[]).map(e => `${e.type} ${e.name}`),
        ['ADDED d2'],
      );
      assert.equal(at(o, 'bookmark.type'), 'BOOKMARK', 'a bookmark arrives before the timeout');
      assert.equal(at(o, 'bookmark.object.kind'), 'Device');
      assert.equal(at(o, 'bookmark.object.apiVersion'), 'wasmbed.io/v1alpha1');
      assert.equal(o.bookmarkNewerThanEvents, true);
      assert.equal(o.ended, true, 'timeoutSeconds ends the watch');
      assert.deepEqual(o.plain, { ended: true, types: ['ADDED'] });
    },
  },
  {
    // kube-apiserver's watch cache holds revisions from its start on; revision 1 is older than
    // anything it holds, so no etcd compaction is needed: the answer is a 200 stream whose
    // first event is an ERROR carrying a 410 Expired Status.
    name: 'watch: 410 Gone for a too-old resourceVersion',
    run: async (s, ns) => {
      await s.req('editor', 'POST', nsPath(ns, 'devices'), { body: device(ns, 'd1') });
      const w = s.watch('viewer', `${nsPath(ns, 'devices')}?watch=1&resourceVersion=1`);
      const events = await w.waitFor(1, EVENT_WAIT_MS).finally(() => w.close());
      const list = await s.req(
        'viewer',
        'GET',
        `${nsPath(ns, 'devices')}?resourceVersion=1&resourceVersionMatch=Exact`,
      );
      return {
        code: await w.code,
        first: events[0],
        list: { code: list.code, reason: at(list.body, 'reason') },
      };
    },
    expect: o => {
      assert.equal(at(o, 'first.type'), 'ERROR');
      assert.equal(at(o, 'first.object.code'), 410);
      assert.equal(at(o, 'first.object.reason'), 'Expired');
    },
  },
];
