// The watch hub under the rules of etcd 3.6.14 (every fix) and of etcd 3.4.23 (none), on an
// MvccStore over MemoryBackend. The 3.6 cases follow etcd 3.6's
// server/storage/mvcc/watcher_test.go (TestWatcherRequestProgress, TestWatcherRequestProgressAll)
// and server/etcdserver/api/v3rpc/watch.go (a negative start revision is refused); the 3.4
// cases are what etcd 3.4.23's mvcc/watchable_store.go and v3rpc/watch.go do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { ErrCompactedReason, INVALID_WATCH_ID, LATEST_WATCH_RULES, WatchHub, type WatchResult, type WatchRules } from '../../src/watch/index.js';

const ETCD_3_4_23: WatchRules = { progressAfterSync: false, noProgressBeforeStartRevision: false, refuseNegativeStartRevision: false };
const b = (s: string) => Buffer.from(s);
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until cond holds, for at most 2 s (timers run late on a loaded machine). */
async function eventually(cond: () => boolean): Promise<boolean> {
  for (const deadline = Date.now() + 2000; Date.now() < deadline; await sleep(10)) if (cond()) return true;
  return cond();
}

function setup(rules: WatchRules, progressIntervalMs?: number) {
  const store = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(store, { rules, progressIntervalMs, random: () => 0 });
  const got: WatchResult[] = [];
  const stream = hub.openStream((r) => {
    got.push(r);
    return true;
  });
  const put = (k: string) => {
    const t = store.write();
    t.put(b(k), b('v'));
    t.end();
  };
  const progress = () => got.filter((r) => !r.created && !r.canceled && r.events.length === 0);
  return { store, hub, got, stream, put, progress };
}

// TestWatcherRequestProgress: one put (revision 2), then a watcher on another key from each start revision.
const CASES: Array<{ name: string; startRev: number; beforeSync: boolean; afterSync: boolean }> = [
  { name: 'zero revision', startRev: 0, beforeSync: true, afterSync: true },
  { name: 'old revision', startRev: 1, beforeSync: false, afterSync: true },
  { name: 'current revision', startRev: 2, beforeSync: false, afterSync: true },
  { name: 'current revision plus one', startRev: 3, beforeSync: false, afterSync: false },
  { name: 'current revision plus two', startRev: 4, beforeSync: false, afterSync: false },
];

for (const c of CASES) {
  test(`etcd 3.6: a progress request with a watcher from the ${c.name}: before catch-up ${c.beforeSync}, after ${c.afterSync}`, async () => {
    const { hub, stream, put, progress } = setup(LATEST_WATCH_RULES);
    put('foo');
    stream.watch({ key: b('bad'), startRevision: c.startRev });
    stream.requestProgress();
    assert.equal(progress().length, c.beforeSync ? 1 : 0, 'before the catch-up round');
    for (let i = 0; i < 3; i++) await tick();
    stream.requestProgress();
    const after = progress().length - (c.beforeSync ? 1 : 0);
    assert.equal(after, c.afterSync ? 1 : 0, 'after it');
    for (const p of progress()) assert.deepEqual([p.watchId, p.revision], [INVALID_WATCH_ID, 2]);
    hub.close();
  });
}

test('etcd 3.4.23: a progress request is answered at once at the store revision, watcher behind or ahead', async () => {
  for (const startRev of [1, 4]) {
    const { hub, stream, put, progress } = setup(ETCD_3_4_23);
    put('foo');
    stream.watch({ key: b('bad'), startRevision: startRev });
    stream.requestProgress();
    assert.deepEqual(progress().map((p) => [p.watchId, p.revision]), [[INVALID_WATCH_ID, 2]]);
    hub.close();
  }
});

test('a progress request on a stream without watchers: nothing in etcd 3.6, an answer in 3.4.23', () => {
  for (const [rules, want] of [[LATEST_WATCH_RULES, 0], [ETCD_3_4_23, 1]] as const) {
    const { hub, stream, progress } = setup(rules);
    stream.requestProgress();
    assert.equal(progress().length, want);
    hub.close();
  }
});

test('periodic progress for a watch on a future revision: none below its start revision in 3.6, sent in 3.4.23', async () => {
  for (const [rules, below] of [[LATEST_WATCH_RULES, false], [ETCD_3_4_23, true]] as const) {
    const { hub, stream, put, progress } = setup(rules, 20);
    stream.watch({ key: b('k'), startRevision: 3, progressNotify: true });
    // 3.4.23 sends one within a period; 3.6 sends none however many periods pass.
    if (below) assert.ok(await eventually(() => progress().length > 0));
    else await sleep(100);
    assert.equal(progress().some((p) => p.revision < 3), below, 'progress below the start revision');
    put('x'); // 2
    put('x'); // 3: the store reaches the start revision
    const seen = progress().length;
    assert.ok(await eventually(() => progress().length > seen), 'progress once the store reaches the start revision');
    assert.ok(progress().slice(seen).every((p) => p.revision >= 3));
    hub.close();
  }
});

test('a negative start revision: refused by etcd 3.6; etcd 3.4.23 watches from now, or cancels as compacted below the compaction revision', async () => {
  {
    const { hub, stream, got } = setup(LATEST_WATCH_RULES);
    const r = stream.watch({ key: b('k'), startRevision: -1 });
    assert.deepEqual([r.watchId, r.created, r.canceled, r.cancelReason, r.revision], [INVALID_WATCH_ID, true, true, ErrCompactedReason, 1]);
    assert.equal(stream.watchers.size, 0);
    assert.equal(got.length, 1);
    hub.close();
  }
  {
    const { hub, stream, got, put } = setup(ETCD_3_4_23);
    const fromNow = stream.watch({ key: b('k'), startRevision: -1 });
    assert.deepEqual([fromNow.watchId, fromNow.created, fromNow.canceled], [0, true, false]);
    // Below -1, the compaction revision of a store never compacted: canceled as compacted at -1.
    stream.watch({ key: b('k'), startRevision: -2 });
    for (let i = 0; i < 3; i++) await tick();
    put('k');
    const compacted = got.find((r) => r.watchId === 1 && r.canceled);
    assert.deepEqual([compacted?.compactRevision, compacted?.revision], [-1, 0]);
    assert.deepEqual(got.filter((r) => r.watchId === 0 && r.events.length > 0).map((r) => r.events[0].kv.modRevision), [2]);
    hub.close();
  }
});
