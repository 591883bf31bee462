// Unit tests of the watch hub's features, on an MvccStore over MemoryBackend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { EventType } from '../../src/pb/kv.js';
import { ErrDuplicateWatchId, ErrEmptyWatcherRange, INVALID_WATCH_ID, WatchFilter, WatchHub, type WatchHubOptions, type WatchResult } from '../../src/watch/index.js';

const b = (s: string) => Buffer.from(s);
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(opts: WatchHubOptions = {}) {
  const store = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(store, opts);
  const got: WatchResult[] = [];
  let room = true;
  const stream = hub.openStream((r) => {
    got.push(r);
    return room;
  });
  const put = (k: string, v: string) => {
    const t = store.write();
    t.put(b(k), b(v));
    t.end();
  };
  const del = (k: string) => {
    const t = store.write();
    t.deleteRange(b(k));
    t.end();
  };
  return { store, hub, got, stream, put, del, setRoom: (v: boolean) => (room = v) };
}

const evs = (got: WatchResult[]) => got.flatMap((r) => r.events.map((e) => `${e.type === EventType.PUT ? 'P' : 'D'}${e.kv.modRevision}:${Buffer.from(e.kv.key)}`));

test('created response first; live events; cancel answers once', async () => {
  const { hub, got, stream, put } = setup();
  const c = stream.watch({ key: b('a') });
  assert.deepEqual([c.created, c.canceled, c.watchId, c.revision], [true, false, 0, 1]);
  put('a', '1');
  put('b', '1');
  assert.deepEqual(evs(got), ['P2:a']);
  assert.equal(got[1].revision, 2);
  assert.equal(stream.cancel(0), true);
  assert.equal(stream.cancel(0), false);
  assert.equal(got.at(-1)!.canceled, true);
  put('a', '2');
  assert.deepEqual(evs(got), ['P2:a']);
  hub.close();
});

test('client-chosen ids: duplicates and empty ranges are refused as etcd refuses them', () => {
  const { hub, stream } = setup();
  assert.equal(stream.watch({ key: b('a'), watchId: 7 }).watchId, 7);
  const dup = stream.watch({ key: b('b'), watchId: 7 });
  assert.deepEqual([dup.watchId, dup.created, dup.canceled, dup.cancelReason], [INVALID_WATCH_ID, true, true, ErrDuplicateWatchId]);
  const empty = stream.watch({ key: b('b'), rangeEnd: b('a') });
  assert.equal(empty.cancelReason, ErrEmptyWatcherRange);
  // Automatic ids skip ones clients took.
  assert.equal(stream.watch({ key: b('c') }).watchId, 0);
  hub.close();
});

test('history from a start revision, filters, prev_kv, and prefix/from-key ranges', async () => {
  const { hub, got, stream, put, del } = setup();
  put('k1', 'a'); // 2
  put('k2', 'b'); // 3
  put('k1', 'c'); // 4
  del('k1'); // 5
  put('l', 'x'); // 6
  stream.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 2, prevKv: true });
  stream.watch({ key: b('k'), rangeEnd: b('l'), startRevision: 1, filters: [WatchFilter.NOPUT] });
  stream.watch({ key: b('k2'), rangeEnd: new Uint8Array([0]), startRevision: 3, filters: [WatchFilter.NODELETE] });
  for (let i = 0; i < 10; i++) await tick();
  const by = (id: number) => evs(got.filter((r) => r.watchId === id));
  assert.deepEqual(by(0), ['P2:k1', 'P3:k2', 'P4:k1', 'D5:k1']);
  assert.deepEqual(by(1), ['D5:k1']);
  assert.deepEqual(by(2), ['P3:k2', 'P6:l']);
  const w0 = got.filter((r) => r.watchId === 0).flatMap((r) => r.events);
  assert.equal(w0[0].prevKv, undefined); // a create event carries none
  assert.equal(Buffer.from(w0[2].prevKv!.value).toString(), 'a');
  assert.equal(Buffer.from(w0[3].prevKv!.value).toString(), 'c');
  hub.close();
});

test('a start below the compaction is canceled with compact_revision; at it, served', async () => {
  const { hub, got, stream, put, store } = setup();
  for (let i = 0; i < 5; i++) put('a', `${i}`);
  store.compact(4);
  stream.watch({ key: b('a'), startRevision: 3 });
  stream.watch({ key: b('a'), startRevision: 5 });
  stream.watch({ key: b('a'), startRevision: 4 });
  for (let i = 0; i < 5; i++) await tick();
  const c = got.find((r) => r.watchId === 0 && !r.created)!;
  assert.deepEqual([c.canceled, c.compactRevision], [true, 4]);
  assert.deepEqual(evs(got.filter((r) => r.watchId === 1)), ['P5:a', 'P6:a']);
  assert.deepEqual(evs(got.filter((r) => r.watchId === 2)), ['P4:a', 'P5:a', 'P6:a']);
  hub.close();
});

// Robustness seed 200093: a follower installing the leader's snapshot rewrites its backend
// a batch at a time; a catch-up round in between read neither history, sent nothing and
// moved a new watcher past a revision it never saw.
test('while a snapshot install rewrites the backend, catch-up waits for the new store', async () => {
  const { store, hub, got, stream, put } = setup();
  put('a', '1'); // 2
  put('a', '2'); // 3
  hub.freeze();
  stream.watch({ key: b('a'), startRevision: 2 });
  // Mid-install: the key bucket is half rewritten (here, emptied).
  for (const [k] of [...store.backend.range('key', Buffer.alloc(0))]) store.backend.delete('key', k);
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(evs(got), [], 'nothing is read while frozen');
  // The install ends: a store over the leader's backend, with the same history.
  const installed = MvccStore.open(new MemoryBackend());
  for (const v of ['1', '2']) {
    const t = installed.write();
    t.put(b('a'), b(v));
    t.end();
  }
  hub.restore(installed);
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(evs(got), ['P2:a', 'P3:a']);
  // A failed install thaws the hub on the old store.
  hub.freeze();
  stream.watch({ key: b('a'), startRevision: 3 });
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(evs(got), ['P2:a', 'P3:a']);
  hub.thaw();
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(evs(got), ['P2:a', 'P3:a', 'P3:a']);
  hub.close();
});

test('a backed-up stream stops taking live events and later catches up, in order', async () => {
  const { hub, got, stream, put, setRoom } = setup();
  stream.watch({ key: b('a') });
  setRoom(false);
  put('a', '1'); // accepted, but the outlet is now full
  const before = got.length;
  for (let i = 0; i < 50; i++) put('a', `x${i}`);
  assert.equal(got.length, before, 'nothing more is queued while the stream is backed up');
  assert.deepEqual(hub.stats(), { streams: 1, synced: 0, unsynced: 1, eventsSent: 1 });
  setRoom(true);
  stream.drained();
  for (let i = 0; i < 10; i++) await tick();
  put('a', 'live');
  const revs = got.flatMap((r) => r.events.map((e) => e.kv.modRevision));
  assert.deepEqual(revs, Array.from({ length: 52 }, (_, i) => i + 2));
  assert.equal(hub.stats().synced, 1);
  hub.close();
});


test('writes applied in one batch reach each watcher as one response holding every revision, in order', () => {
  const { hub, got, stream, put, del } = setup();
  stream.watch({ key: b('a') });
  stream.watch({ key: b('a'), rangeEnd: b('b'), prevKv: true });
  stream.watch({ key: b('z') });
  const created = got.length;
  hub.batch(() => {
    put('a', '1'); // 2
    put('z', '1'); // 3
    put('a', '2'); // 4
    del('a'); // 5
    assert.equal(got.length, created, 'held until the batch ends');
  });
  const responses = got.slice(created);
  assert.deepEqual(
    responses.map((r) => [r.watchId, r.revision, evs([r]).join(',')]),
    [
      [0, 5, 'P2:a,P4:a,D5:a'],
      [1, 5, 'P2:a,P4:a,D5:a'],
      [2, 3, 'P3:z'],
    ],
  );
  // prev_kv as live: none on the create, the previous value on the later put and the delete.
  assert.deepEqual(
    responses[1]!.events.map((e) => (e.prevKv ? Buffer.from(e.prevKv.value).toString() : '-')),
    ['-', '1', '2'],
  );
  // Outside a batch, each write is sent at once.
  put('a', '3');
  assert.deepEqual(evs(got.slice(created + 3)), ['P6:a', 'P6:a']);
  hub.close();
});

test('a batch holds at most a bounded amount per watcher; a stream that backs up in a batch catches up from the first held revision', async () => {
  const { hub, got, stream, put, setRoom } = setup();
  stream.watch({ key: b('a') });
  const created = got.length;
  const big = 'v'.repeat(20 * 1024);
  hub.batch(() => {
    for (let i = 0; i < 4; i++) put('a', big); // 2..5: sent early once 64 KiB is held
    put('a', 'small'); // 6
  });
  assert.deepEqual(
    got.slice(created).map((r) => r.events.map((e) => e.kv.modRevision)),
    [[2, 3, 4, 5], [6]],
  );
  const mark = got.length;
  hub.batch(() => {
    put('a', 'x'); // 7, held
    setRoom(false);
    stream.watch({ key: b('q') }); // its created response fills the outlet
    put('a', 'y'); // 8: the stream is backed up, the watcher falls back to catching up from 7
  });
  assert.deepEqual(evs(got.slice(mark)), [], 'nothing held was sent');
  assert.equal(hub.stats().unsynced, 1);
  setRoom(true);
  stream.drained();
  for (let i = 0; i < 10; i++) await tick();
  assert.deepEqual(
    got.slice(mark).flatMap((r) => r.events.map((e) => e.kv.modRevision)),
    [7, 8],
  );
  hub.close();
});
// etcd 3.6's tests/integration/v3_watch_test.go TestV3WatchProgressWaitsForSync: a request
// made while a watcher catches up gets no answer (the client infers progress from events, or
// asks again); once synced, the answer follows every event it covers.
test('progress: periodic only for synced, idle watchers; a request while behind is dropped, a later one follows the events', async () => {
  const { hub, got, stream, put, setRoom } = setup({ progressIntervalMs: 30 });
  stream.watch({ key: b('a'), progressNotify: true });
  await sleep(100);
  const progress = got.filter((r) => !r.created && r.events.length === 0 && r.watchId === 0);
  assert.ok(progress.length >= 1, 'periodic progress notification');
  assert.equal(progress[0].revision, 1);
  // Behind: a stream-wide progress request is dropped.
  put('b', '0');
  stream.watch({ key: b('a'), startRevision: 1, watchId: 5 });
  setRoom(false);
  stream.requestProgress();
  put('a', '1');
  setRoom(true);
  stream.drained();
  for (let i = 0; i < 10; i++) await tick();
  assert.equal(got.some((r) => r.watchId === INVALID_WATCH_ID), false, 'no answer to a request made while behind');
  stream.requestProgress();
  const p = got.findIndex((r) => r.watchId === INVALID_WATCH_ID);
  assert.ok(p > 0, 'answered at once when every watcher is synced');
  const lastEvent = got.map((r) => r.events.length > 0).lastIndexOf(true);
  assert.ok(p > lastEvent, 'progress after the events it covers');
  assert.equal(got[p].revision, 3);
  hub.close();
});

test('fragment: large responses split at max request bytes, one event never split', async () => {
  const { hub, got, stream, put } = setup({ maxRequestBytes: 300 });
  for (let i = 0; i < 10; i++) put(`f${i}`, 'v'.repeat(100));
  stream.watch({ key: b('f'), rangeEnd: b('g'), startRevision: 1, fragment: true });
  stream.watch({ key: b('f'), rangeEnd: b('g'), startRevision: 1 });
  for (let i = 0; i < 5; i++) await tick();
  const frag = got.filter((r) => r.watchId === 0 && !r.created);
  assert.ok(frag.length > 1);
  assert.deepEqual(frag.map((r) => r.fragment), [...Array(frag.length - 1).fill(true), false]);
  assert.equal(frag.flatMap((r) => r.events).length, 10);
  assert.equal(got.filter((r) => r.watchId === 1 && !r.created).length, 1);
  hub.close();
});

test('memory per idle watcher stays small', () => {
  const { hub, stream } = setup();
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000; i++) stream.watch({ key: b(`idle/${i}`) });
  const per = (process.memoryUsage().heapUsed - before) / 10_000;
  assert.ok(per < 4096, `${per} bytes per idle watcher`);
  hub.close();
});
