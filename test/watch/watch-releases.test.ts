// Watch over gRPC where etcd releases differ. Side by side with the real etcd 3.4.23,
// etcd-ts behaving as 3.4.23 must answer the same; by default etcd-ts behaves as etcd
// 3.6.14, checked against what etcd 3.6's own tests expect:
//  - tests/integration/v3_watch_test.go: TestV3WatchProgressWaitsForSyncNoEvents,
//    TestV3WatchFutureRevision;
//  - tests/integration/clientv3/watch_test.go: TestConfigurableWatchProgressNotifyInterval;
//  - server/etcdserver/api/v3rpc/watch.go (3.6.6): a negative start revision is refused;
//  - server/storage/mvcc/watchable_store.go progressIfSync: no answer without watchers;
//  - tests/e2e/watch_test.go: TestStartWatcherFromCompactedRevision and
//    TestResumeCompactionOnTombstone (the delete at the compaction revision survives).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { grpcKv, startMember, startMembers, type Member, type Msg } from '../helpers/index.js';
import { isProgress, openWatch } from '../helpers/watch.js';

const key = (s: string) => Buffer.from(s);
const rev = (m: Msg) => Number(m.header.revision);

async function puts(m: Member, k: string, n: number): Promise<number> {
  const { kv, close } = grpcKv(m);
  let last = 0;
  try {
    for (let i = 0; i < n; i++) last = Number((await kv.put({ key: key(k), value: key(`v${i}`) })).header.revision);
  } finally {
    close();
  }
  return last;
}

describe('beside the real etcd 3.4.23, etcd-ts behaving as 3.4.23 answers the same', { concurrency: false }, () => {
  let ts: Member;
  let etcd: Member;
  before(async () => {
    [ts, etcd] = await startMembers([['etcd-ts'], ['etcd']]);
  });
  after(async () => {
    await Promise.all([ts?.close(), etcd?.close()]);
  });

  /** Runs the same exchange on both and returns both shapes. */
  async function both<T>(run: (m: Member) => Promise<T>): Promise<[T, T]> {
    return [await run(ts), await run(etcd)];
  }

  test('a progress request without watchers, and with a watcher on a future revision, is answered at once at the store revision', async () => {
    const [got, want] = await both(async (m) => {
      const w = openWatch(m);
      try {
        w.send({ progressRequest: {} });
        const bare = await w.waitFor(isProgress);
        w.send({ createRequest: { key: key('future'), startRevision: rev(bare) + 10 } });
        const created = await w.waitFor((r) => r.created);
        w.send({ progressRequest: {} });
        const p = await w.waitFor(isProgress);
        return { bare: [bare.watchId, rev(bare)], created: [created.watchId, created.canceled, rev(created)], progress: [p.watchId, rev(p)] };
      } finally {
        w.close();
      }
    });
    assert.deepEqual(got, want);
    assert.deepEqual(want.progress, [-1, want.bare[1]]);
  });

  test('negative start revisions: -1 watches from now before any compaction, -2 is canceled as compacted at -1, and -1 after a compaction at it', async () => {
    const [got, want] = await both(async (m) => {
      const base = await puts(m, 'neg', 3);
      const w = openWatch(m);
      try {
        w.send({ createRequest: { key: key('neg'), startRevision: -1, watchId: 1 } });
        w.send({ createRequest: { key: key('neg'), startRevision: -2, watchId: 2 } });
        const c1 = await w.waitFor((r) => r.created && r.watchId === 1);
        const c2 = await w.waitFor((r) => r.created && r.watchId === 2);
        const gone = await w.waitFor((r) => r.canceled && r.watchId === 2);
        await puts(m, 'neg', 1);
        const ev = await w.waitFor((r) => r.watchId === 1 && r.events.length > 0);
        const { kv, close } = grpcKv(m);
        await kv.compact({ revision: base + 1, physical: true });
        close();
        w.send({ createRequest: { key: key('neg'), startRevision: -1, watchId: 3 } });
        const c3 = await w.waitFor((r) => r.watchId === 3 && r.created);
        const gone3 = await w.waitFor((r) => r.watchId === 3 && r.canceled);
        return {
          created: [c1.canceled, c2.canceled, c3.canceled, rev(c1) - base],
          compacted: [gone.compactRevision, rev(gone), gone3.compactRevision - base, rev(gone3)],
          event: [ev.events.length, ev.events[0].kv.modRevision - base],
        };
      } finally {
        w.close();
      }
    });
    assert.deepEqual(got, want);
    assert.deepEqual(want.compacted, [-1, 0, 1, 0]);
  });

  test('HashKV after compacting at a delete is the hash etcd 3.4.23 computes, though etcd-ts keeps that delete', async () => {
    const [got, want] = await both(async (m) => {
      await puts(m, 'h1', 2);
      const { kv, maintenance, close } = grpcKv(m);
      try {
        await kv.put({ key: key('h2'), value: key('x') });
        const del = await kv.deleteRange({ key: key('h1') });
        await kv.compact({ revision: Number(del.header.revision), physical: true });
        const h = await maintenance.hashKV({ revision: 0 });
        const w = openWatch(m);
        w.send({ createRequest: { key: key('h1'), startRevision: Number(del.header.revision) } });
        await w.waitFor((r) => r.created);
        await w.quiet(300);
        const events = w.got.flatMap((g) => g.msg.events.map((e: Msg) => e.type));
        w.close();
        return { hash: h.hash, compact: Number(h.compactRevision) - Number(del.header.revision), events };
      } finally {
        close();
      }
    });
    assert.deepEqual({ ...got, events: [] }, { ...want, events: [] });
    // etcd 3.4.23 loses the delete at the compaction revision (fixed in 3.4.36); etcd-ts does not reproduce that.
    assert.deepEqual(want.events, []);
    assert.deepEqual(got.events, ['DELETE']);
  });
});

describe('etcd-ts behaving as etcd 3.6.14 (its default)', { concurrency: false }, () => {
  let m: Member;
  before(async () => {
    m = await startMember('etcd-ts', { extraArgs: ['--watch-progress-notify-interval', '200ms'] });
  });
  after(async () => {
    await m?.close();
  });

  test('a negative start revision is refused: created and canceled, watch ID -1, the "compacted" reason', async () => {
    const w = openWatch(m);
    try {
      w.send({ createRequest: { key: key('k'), startRevision: -1 } });
      const r = await w.waitFor((x) => x.created);
      assert.deepEqual([r.watchId, r.canceled, r.cancelReason], [-1, true, 'etcdserver: mvcc: required revision has been compacted']);
    } finally {
      w.close();
    }
  });

  test('a progress request on a stream without watchers gets no answer', async () => {
    const w = openWatch(m);
    try {
      w.send({ progressRequest: {} });
      await w.quiet(300);
      assert.equal(w.got.length, 0);
    } finally {
      w.close();
    }
  });

  test('a watch on a future revision: no progress notification below it, requested or periodic; its events from there on', async () => {
    const now = await puts(m, 'fut', 1);
    const w = openWatch(m);
    try {
      w.send({ createRequest: { key: key('fut'), startRevision: now + 3, progressNotify: true } });
      await w.waitFor((r) => r.created);
      for (let i = 0; i < 6; i++) {
        w.send({ progressRequest: {} });
        await w.quiet(60);
      }
      assert.equal(w.got.filter((g) => isProgress(g.msg)).length, 0, 'progress below the start revision');
      await puts(m, 'fut', 3);
      const ev = await w.waitFor((r) => r.events.length > 0);
      assert.deepEqual(ev.events.map((e: Msg) => e.kv.modRevision), [now + 3], 'events from the start revision only');
      const p = await w.waitFor(isProgress, 3000);
      assert.ok(rev(p) >= now + 3);
    } finally {
      w.close();
    }
  });

  test('a watcher that gets no events while catching up is answered once synced (requests every 100 ms)', async () => {
    const r = await puts(m, 'bar', 1);
    const w = openWatch(m);
    const ticker = setInterval(() => w.send({ progressRequest: {} }), 100);
    try {
      w.send({ createRequest: { key: key('foo-no-events'), startRevision: r } });
      w.send({ progressRequest: {} });
      const p = await w.waitFor((x) => isProgress(x) && x.watchId === -1, 3000);
      assert.ok(rev(p) >= r);
    } finally {
      clearInterval(ticker);
      w.close();
    }
  });

  test('--watch-progress-notify-interval 200ms: a progress_notify watcher hears within a second', async () => {
    const w = openWatch(m);
    try {
      w.send({ createRequest: { key: key('quiet'), progressNotify: true } });
      await w.waitFor((r) => r.created);
      const t0 = performance.now();
      const p = await w.waitFor(isProgress, 1000);
      assert.equal(p.watchId, 0);
      assert.ok(performance.now() - t0 < 1000);
    } finally {
      w.close();
    }
  });

  test('a delete at the compaction revision is delivered to a watch from there, before and after a restart', async () => {
    await puts(m, 'tomb', 2);
    const { kv, close } = grpcKv(m);
    const del = Number((await kv.deleteRange({ key: key('tomb') })).header.revision);
    await kv.compact({ revision: del, physical: true });
    close();
    const watchFrom = async () => {
      const w = openWatch(m);
      try {
        w.send({ createRequest: { key: key('tomb'), startRevision: del } });
        const r = await w.waitFor((x) => x.events.length > 0 || x.canceled);
        return r.events.map((e: Msg) => `${e.type}@${e.kv.modRevision}`);
      } finally {
        w.close();
      }
    };
    assert.deepEqual(await watchFrom(), [`DELETE@${del}`]);
    await m.restart();
    assert.deepEqual(await watchFrom(), [`DELETE@${del}`], 'the restarted member rebuilt the key from its tombstone');
    // A later compaction passes it; the key can live again.
    const again = await puts(m, 'tomb', 1);
    const { kv: kv2, close: close2 } = grpcKv(m);
    await kv2.compact({ revision: again, physical: true });
    const got = await kv2.range({ key: key('tomb') });
    close2();
    assert.equal(got.kvs.length, 1);
    assert.equal(Number(got.kvs[0].version), 1);
  });
});
