// Model test: random puts, deletes, txns and compactions on an MvccStore while
// random watchers come and go on streams whose outlets randomly back up. Every
// watcher must receive exactly the history filtered to its range from its start
// revision: in order, once, without gaps (or a prefix of it, then a compaction
// or its own cancel). Progress notifications must never run ahead of events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { EventType } from '../../src/pb/kv.js';
import { WatchHub, WatchFilter, INVALID_WATCH_ID, type WatchResult, type WatchStream } from '../../src/watch/index.js';

const KEYS = ['a', 'ab', 'b', 'c', 'd', 'e'];
const b = (s: string) => Buffer.from(s);

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

interface HEvent {
  rev: number;
  type: EventType;
  key: string;
  value: string;
}

interface WRec {
  id: number;
  stream: SRec;
  start: number;
  inRange: (k: string) => boolean;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
  got: string[];
  gotRevs: number[];
  compactedAt?: number;
  canceled: boolean;
}

interface SRec {
  s: WatchStream;
  watchers: Map<number, WRec>;
  full: boolean;
}

const fmt = (rev: number, type: EventType, key: string, value: string) => `${rev}:${type === EventType.PUT ? 'P' : 'D'}:${key}=${value}`;

async function runModel(seed: number, steps: number): Promise<{ watchers: number; events: number }> {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const store = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(store, { maxRevsPerSync: 1 + Math.floor(r() * 6), maxWatchersPerSync: 1 + Math.floor(r() * 4), maxRequestBytes: 200 });
  const history: HEvent[] = [];
  const states: Map<string, string>[] = [new Map(), new Map()];
  const streams: SRec[] = [];
  const all: WRec[] = [];
  let compactions = 0;
  let lastCompact = 0;
  /**
   * Revisions compacted at. As in etcd 3.4, a watcher may start at the compaction
   * revision, and a delete at exactly that revision may then be gone with its tombstone.
   */
  const compactedAt = new Set<number>();
  const lostTombstone = (e: string, got: string[]) => e.split(':')[1] === 'D' && compactedAt.has(Number(e.split(':')[0])) && !got.includes(e);

  const expectedFor = (w: WRec): string[] =>
    history
      .filter((e) => e.rev >= w.start && w.inRange(e.key) && !(e.type === EventType.PUT ? w.noPut : w.noDelete))
      .map((e) => fmt(e.rev, e.type, e.key, e.value));

  const openStream = (): SRec => {
    const rec: SRec = { s: undefined as unknown as WatchStream, watchers: new Map(), full: false };
    const pending: WatchResult[] = [];
    rec.s = hub.openStream((res) => {
      pending.push(res);
      onResult(rec, res);
      // The outlet randomly reports it is full; it still keeps what it was given.
      const ok = r() > 0.25;
      if (!ok) rec.full = true;
      return ok;
    });
    streams.push(rec);
    return rec;
  };

  const onResult = (st: SRec, res: WatchResult) => {
    if (res.created) return;
    if (res.watchId === INVALID_WATCH_ID) {
      // Stream-wide progress: every live watcher has been sent all its events up to res.revision.
      for (const w of st.watchers.values()) {
        if (w.canceled || w.compactedAt !== undefined) continue;
        const owed = expectedFor(w).filter((e) => Number(e.split(':')[0]) <= res.revision);
        assert.deepEqual(w.got.slice(0, owed.length), owed, `progress at ${res.revision} ran ahead of watcher ${w.id}`);
        assert.equal(w.got.length >= owed.length, true);
      }
      return;
    }
    const w = st.watchers.get(res.watchId);
    assert.ok(w, `response for unknown watcher ${res.watchId}`);
    if (res.canceled && res.compactRevision > 0) {
      assert.equal(w.compactedAt, undefined);
      w.compactedAt = res.compactRevision;
      return;
    }
    if (res.canceled) return;
    if (res.events.length === 0) {
      // A per-watcher progress notification.
      const owed = expectedFor(w).filter((e) => Number(e.split(':')[0]) <= res.revision);
      assert.deepEqual(w.got, owed);
      return;
    }
    for (const ev of res.events) {
      assert.ok(ev.kv.modRevision <= res.revision, 'event above its response revision');
      const key = Buffer.from(ev.kv.key).toString();
      w.got.push(fmt(ev.kv.modRevision, ev.type, key, Buffer.from(ev.kv.value).toString()));
      if (w.prevKv) {
        const before = states[ev.kv.modRevision - 1].get(key);
        const create = ev.type === EventType.PUT && ev.kv.createRevision === ev.kv.modRevision;
        if (ev.prevKv) assert.equal(Buffer.from(ev.prevKv.value).toString(), before, 'prev_kv value');
        else assert.ok(create || before === undefined || lastCompact >= ev.kv.modRevision - 1, `missing prev_kv at ${ev.kv.modRevision}`);
      }
    }
  };

  const write = (ops: Array<{ put?: string; del?: string; value?: string }>) => {
    const txn = store.write();
    const st = new Map(states[states.length - 1]);
    const rev = store.rev() + 1;
    const evs: HEvent[] = [];
    for (const op of ops) {
      if (op.put !== undefined) {
        txn.put(b(op.put), b(op.value!));
        st.set(op.put, op.value!);
        evs.push({ rev, type: EventType.PUT, key: op.put, value: op.value! });
      } else if (op.del !== undefined) {
        txn.deleteRange(b(op.del));
        if (st.delete(op.del)) evs.push({ rev, type: EventType.DELETE, key: op.del, value: '' });
      }
    }
    txn.end();
    if (evs.length > 0) {
      history.push(...evs);
      states.push(st);
      assert.equal(store.rev(), states.length - 1);
    }
  };

  for (let step = 0; step < steps; step++) {
    const x = r();
    if (x < 0.3) write([{ put: pick(KEYS), value: `v${step}` }]);
    else if (x < 0.4) write([{ del: pick(KEYS) }]);
    else if (x < 0.5) {
      const keys = [...new Set([pick(KEYS), pick(KEYS), pick(KEYS)])];
      write(keys.map((k) => (r() < 0.7 ? { put: k, value: `t${step}` } : { del: k })));
    } else if (x < 0.53 && store.rev() > lastCompact + 1) {
      const to = lastCompact + 1 + Math.floor(r() * (store.rev() - lastCompact));
      store.compact(to);
      lastCompact = to;
      compactedAt.add(to);
      compactions++;
    } else if (x < 0.65) {
      const st = streams.length === 0 || r() < 0.3 ? openStream() : pick(streams);
      const shape = pick(['key', 'prefix', 'range', 'from']);
      const key = pick(KEYS);
      let rangeEnd: Uint8Array | undefined;
      let inRange: (k: string) => boolean = (k) => k === key;
      if (shape === 'prefix') {
        rangeEnd = b(key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1));
        inRange = (k) => k.startsWith(key);
      } else if (shape === 'range') {
        const end = pick(KEYS.filter((k) => k > key).concat(['z']));
        rangeEnd = b(end);
        inRange = (k) => k >= key && k < end;
      } else if (shape === 'from') {
        rangeEnd = new Uint8Array([0]);
        inRange = (k) => k >= key;
      }
      const cur = store.rev();
      const startRevision = r() < 0.3 ? 0 : 1 + Math.floor(r() * (cur + 2));
      const filters: WatchFilter[] = [];
      if (r() < 0.15) filters.push(WatchFilter.NOPUT);
      if (r() < 0.15) filters.push(WatchFilter.NODELETE);
      const prevKv = r() < 0.4;
      const res = st.s.watch({ key: b(key), rangeEnd, startRevision, filters, prevKv, fragment: r() < 0.3 });
      assert.equal(res.created, true);
      assert.equal(res.canceled, false);
      const w: WRec = {
        id: res.watchId, stream: st, start: startRevision === 0 ? cur + 1 : startRevision, inRange,
        noPut: filters.includes(WatchFilter.NOPUT), noDelete: filters.includes(WatchFilter.NODELETE),
        prevKv, got: [], gotRevs: [], canceled: false,
      };
      st.watchers.set(w.id, w);
      all.push(w);
    } else if (x < 0.69 && all.length > 0) {
      const w = pick(all);
      if (!w.canceled) {
        assert.equal(w.stream.s.cancel(w.id), true);
        w.canceled = true;
      }
    } else if (x < 0.72 && streams.length > 0) {
      pick(streams).s.requestProgress();
    } else if (x < 0.85) {
      for (const st of streams) if (st.full && r() < 0.6) {
        st.full = false;
        st.s.drained();
      }
    } else {
      await new Promise((res) => setImmediate(res));
    }
  }

  // Let every stream drain and every watcher catch up (bounded).
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 5000; i++) {
    for (const st of streams) if (st.full) {
      st.full = false;
      st.s.drained();
    }
    await new Promise((res) => setImmediate(res));
    if (hub.stats().unsynced === 0 && streams.every((s) => !s.full)) break;
    assert.ok(Date.now() < deadline, 'watchers did not catch up in time');
  }
  assert.equal(hub.stats().unsynced, 0);

  let delivered = 0;
  for (const w of all) {
    const want = expectedFor(w).filter((e) => !lostTombstone(e, w.got));
    delivered += w.got.length;
    if (w.compactedAt !== undefined) {
      assert.deepEqual(w.got, want.slice(0, w.got.length), `watcher ${w.id} before compaction`);
      // It was canceled only if the revision it still needed is compacted.
      const last = w.got.length > 0 ? Number(w.got[w.got.length - 1].split(':')[0]) : 0;
      assert.ok(Math.max(w.start, last + 1) < w.compactedAt, 'compaction reported while history was still there');
      assert.ok(compactions > 0);
    } else if (w.canceled) {
      assert.deepEqual(w.got, want.slice(0, w.got.length), `canceled watcher ${w.id}`);
    } else {
      assert.deepEqual(w.got, want, `watcher ${w.id} (start ${w.start}) seed ${seed}`);
    }
  }
  hub.close();
  return { watchers: all.length, events: delivered };
}

test('watch model: every watcher sees its filtered history exactly once, in order', async () => {
  let watchers = 0;
  let events = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const r = await runModel(seed * 7919, 400);
    watchers += r.watchers;
    events += r.events;
  }
  assert.ok(watchers > 300, `only ${watchers} watchers`);
  assert.ok(events > 1000, `only ${events} events delivered`);
});
