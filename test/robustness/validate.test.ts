// The history checks catch what they claim to: a correct synthetic history passes
// every check, and each kind of anomaly (a gap in a watch, a stale read, a lost
// acknowledged write, a wrong prev_kv…) is reported by the check meant for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { History, KeyValue, Op, WatchEvent, WatchRecord, WatchResponse } from './history.js';
import { prefixEnd } from './history.js';
import { buildLog, Replay } from './validate/log.js';
import { checkWatch } from './validate/watch.js';
import { checkOperations } from './validate/operations.js';
import { checkLinearizable } from './validate/linearizable.js';
import { logEndRevision } from './verify.js';

const P = '/t/';
const END = prefixEnd(P);
const START = 10;

interface Write {
  key: string;
  value: string | null; // null: delete
  lease?: string;
}

/** A store applying writes at revisions START+1…: the log's events and each key's state. */
function simulate(writes: Write[]): { events: WatchEvent[]; state: Array<Map<string, KeyValue>> } {
  const cur = new Map<string, KeyValue>();
  const events: WatchEvent[] = [];
  const state: Array<Map<string, KeyValue>> = [new Map(cur)];
  writes.forEach((w, i) => {
    const rev = START + 1 + i;
    const prev = cur.get(w.key);
    if (w.value === null) {
      if (!prev) throw new Error('test delete of an absent key');
      cur.delete(w.key);
      events.push({ type: 'DELETE', kv: { key: w.key, value: '', createRevision: 0, modRevision: rev, version: 0, lease: '0' }, prevKv: prev });
    } else {
      const kv: KeyValue = { key: w.key, value: w.value, createRevision: prev?.createRevision ?? rev, modRevision: rev, version: (prev?.version ?? 0) + 1, lease: w.lease ?? '0' };
      cur.set(w.key, kv);
      events.push({ type: 'PUT', kv, ...(prev ? { prevKv: prev } : {}) });
    }
    state.push(new Map(cur));
  });
  return { events, state };
}

const WRITES: Write[] = [
  { key: '/t/a', value: 'a1' },
  { key: '/t/b', value: 'b1' },
  { key: '/t/a', value: 'a2' },
  { key: '/t/b', value: null },
  { key: '/t/a', value: 'a3' },
];

function watchOf(client: number, events: WatchEvent[], o: { start?: number; perResponse?: number; prevKv?: boolean; progressAt?: number } = {}): WatchRecord {
  const start = o.start ?? START + 1;
  const responses: WatchResponse[] = [{ time: 0, revision: START, events: [], progress: false, created: true, canceled: false, compactRevision: 0 }];
  const evs = events.filter((e) => e.kv.modRevision >= start).map((e) => (o.prevKv === false ? { type: e.type, kv: e.kv } : e));
  for (let i = 0; i < evs.length; i += o.perResponse ?? 1) {
    const chunk = evs.slice(i, i + (o.perResponse ?? 1));
    responses.push({ time: 10 + i, revision: chunk.at(-1)!.kv.modRevision, events: chunk, progress: false, created: false, canceled: false, compactRevision: 0 });
  }
  const last = START + WRITES.length;
  responses.push({ time: 100, revision: o.progressAt ?? last, events: [], progress: true, created: false, canceled: false, compactRevision: 0 });
  return { client, endpoint: 'm', key: P, end: END, startRevision: start, prevKv: o.prevKv ?? true, filters: [], progressNotify: true, call: 0, responses };
}

/** A correct history: each write acknowledged at its revision, then reads of every key. */
function correct(): { history: History; observers: WatchRecord[] } {
  const { events, state } = simulate(WRITES);
  const ops: Op[] = WRITES.map((w, i) => {
    const rev = START + 1 + i;
    const t = 10 * i;
    return w.value === null
      ? { client: 1, call: t, return: t + 5, req: { type: 'delete', key: w.key }, resp: { revision: rev, deleted: 1 } }
      : { client: 1, call: t, return: t + 5, req: { type: 'put', key: w.key, value: w.value }, resp: { revision: rev } };
  });
  const last = START + WRITES.length;
  for (const key of ['/t/a', '/t/b']) {
    const kv = state[WRITES.length]!.get(key);
    ops.push({ client: 2, call: 60, return: 65, req: { type: 'range', key }, resp: { revision: last, kvs: kv ? [kv] : [], more: false, count: kv ? 1 : 0 } });
  }
  // A serializable read from a member two revisions behind: stale but correct for its revision.
  const old = [...state[WRITES.length - 2]!.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
  ops.push({ client: 3, call: 61, return: 66, req: { type: 'range', key: P, end: END, serializable: true }, resp: { revision: last - 2, kvs: old, more: false, count: old.length } });
  const observers = [watchOf(900, events), watchOf(901, events, { perResponse: 2 })];
  const reflector = watchOf(5, events, { start: START + 3 });
  return { history: { ops, watches: [...observers, reflector], startRevision: START, prefix: P }, observers };
}

function checkAll(h: History, observers: WatchRecord[]): string[] {
  const log = buildLog(observers, P, END, START, START + WRITES.length);
  const replay = new Replay(log);
  return [
    ...log.problems,
    ...h.watches.flatMap((w) => checkWatch(w, replay).problems),
    ...checkOperations(h.ops, replay, P).problems,
    ...checkLinearizable(h, replay, 1000).problems,
  ];
}

test('a correct history passes every check', () => {
  const { history, observers } = correct();
  assert.deepEqual(checkAll(history, observers), []);
});

test('watch: a gap, a duplicate, reordering and a split revision are each caught', () => {
  const { events } = simulate(WRITES);
  const base = correct();
  const withWatch = (w: WatchRecord) => checkAll({ ...base.history, watches: [...base.observers, w] }, base.observers);
  const gap = watchOf(5, events.filter((e) => e.kv.modRevision !== START + 2));
  assert.match(withWatch(gap).join('\n'), /missed revision 12.*\(a gap\)/);
  const dup = watchOf(5, [...events.slice(0, 3), events[2]!, ...events.slice(3)]);
  assert.match(withWatch(dup).join('\n'), /delivered twice/);
  const swapped = watchOf(5, [events[1]!, events[0]!, ...events.slice(2)]);
  assert.match(withWatch(swapped).join('\n'), /out of order/);
  const split = watchOf(5, events);
  // Revision 13's one event duplicated into two responses under different keys is a split revision.
  const r = split.responses.find((x) => x.events[0]?.kv.modRevision === 13)!;
  split.responses.splice(split.responses.indexOf(r) + 1, 0, { ...r, events: [{ ...r.events[0]!, kv: { ...r.events[0]!.kv, key: '/t/z' } }] });
  assert.match(withWatch(split).join('\n'), /split across responses/);
});

test('watch: progress ahead of events, wrong prev_kv, wrong create revision, filter and resume violations are caught', () => {
  const { events } = simulate(WRITES);
  const base = correct();
  const withWatch = (w: WatchRecord) => checkAll({ ...base.history, watches: [...base.observers, w] }, base.observers);
  const ahead = watchOf(5, events);
  ahead.responses.splice(2, 0, { time: 5, revision: START + 4, events: [], progress: true, created: false, canceled: false, compactRevision: 0 });
  assert.match(withWatch(ahead).join('\n'), /after a progress notification at 14/);
  const badPrev = watchOf(5, events.map((e) => (e.kv.modRevision === 13 ? { ...e, prevKv: { ...e.prevKv!, value: 'zz' } } : e)));
  assert.match(withWatch(badPrev).join('\n'), /has prev_kv .*zz/);
  const noPrevAsked = watchOf(5, events, { prevKv: false });
  noPrevAsked.responses[1]!.events[0] = events[0]!; // has no prev_kv: a create
  noPrevAsked.responses[3]!.events[0] = events[2]!; // carries one nobody asked for
  assert.match(withWatch(noPrevAsked).join('\n'), /prev_kv nobody asked for/);
  const badCreate = watchOf(5, events.map((e) => (e.kv.modRevision === 13 ? { ...e, kv: { ...e.kv, createRevision: 13, version: 1 } } : e)));
  assert.match(withWatch(badCreate).join('\n'), /create revision 13 and version 1, but the key was/);
  const filtered = { ...watchOf(5, events), filters: ['NODELETE' as const] };
  assert.match(withWatch(filtered).join('\n'), /outside the watched range or filters/);
  const early = { ...watchOf(5, events, { start: 12 }), startRevision: 13 };
  assert.match(withWatch(early).join('\n'), /before the watch's start revision/);
});

test('log: streams that disagree, or do not cover the history, are reported', () => {
  const { events } = simulate(WRITES);
  const a = watchOf(900, events);
  const b = watchOf(901, events.map((e) => (e.kv.modRevision === 12 ? { ...e, kv: { ...e.kv, value: 'other' } } : e)));
  assert.match(buildLog([a, b], P, END, START, START + 5).problems.join('\n'), /streams disagree at revision 12/);
  const short = watchOf(900, events.slice(0, 2), { progressAt: 12 });
  assert.match(buildLog([short], P, END, START, START + 5).problems.join('\n'), /cover revisions only up to 12/);
});

test('operations: a stale read, a lost acknowledged write and a txn whose compare did not hold are caught', () => {
  const base = correct();
  const run = (ops: Op[]) => checkAll({ ...base.history, ops }, base.observers).join('\n');
  const stale = base.history.ops.map((o) => (o.req.type === 'range' && o.req.key === '/t/a' ? { ...o, resp: { ...o.resp!, kvs: [{ ...o.resp!.kvs![0]!, value: 'a2', modRevision: 13, version: 2 }] } } : o));
  assert.match(run(stale), /read \[\/t\/a="a2"@13\], the log has \[\/t\/a="a3"@15\]/);
  const lost: Op = { client: 4, call: 70, return: 75, req: { type: 'put', key: '/t/c', value: 'c1' }, resp: { revision: 15 } };
  assert.match(run([...base.history.ops, lost]), /acknowledged at revision 15, the log has no put of the key/);
  // The put of a2 at revision 13 made as a txn guarded by a mod revision the key did not have then.
  const txn: Op = { client: 1, call: 20, return: 25, req: { type: 'txn', key: '/t/a', compare: { modRevision: 12 }, then: { put: 'a2' } }, resp: { revision: 13, succeeded: true } };
  const ops = base.history.ops.map((o) => (o.req.type === 'put' && o.req.value === 'a2' ? txn : o));
  assert.match(run(ops), /succeeded at revision 13, but before it the key was \[\/t\/a="a1"@11\]/);
});

test('linearizability: a read that misses a write completed before it began is caught', () => {
  const base = correct();
  // Client 2's read of /t/a at time 60 answers a1 (revision 11) with a matching header: stale across clients.
  const ops = base.history.ops.map((o) =>
    o.req.type === 'range' && o.req.key === '/t/a' ? { ...o, resp: { revision: 11, kvs: [{ key: '/t/a', value: 'a1', createRevision: 11, modRevision: 11, version: 1, lease: '0' }], more: false, count: 1 } } : o,
  );
  const problems = checkAll({ ...base.history, ops }, base.observers).join('\n');
  assert.match(problems, /not linearizable|revision 11 read after an operation had returned revision 15/);
});

test('unknown outcomes are resolved from the log: a write found there took effect, one missing never did', () => {
  const base = correct();
  const ops = base.history.ops.map((o) => (o.req.type === 'put' && o.req.value === 'a2' ? { client: 1, call: o.call, req: o.req, error: 'DEADLINE_EXCEEDED' } : o));
  ops.push({ client: 7, call: 1, req: { type: 'put', key: '/t/a', value: 'never' }, error: 'UNAVAILABLE' });
  const h = { ...base.history, ops };
  const replay = new Replay(buildLog(base.observers, P, END, START, START + WRITES.length));
  const lin = checkLinearizable(h, replay, 1000);
  assert.deepEqual(lin.problems, []);
  assert.deepEqual(lin.resolved, { applied: 1, dropped: 1 });
  // A value in the log that no client sent is a write from nowhere.
  const forged = { ...base.history, ops: base.history.ops.filter((o) => !(o.req.type === 'put' && o.req.value === 'a2')) };
  assert.match(checkLinearizable(forged, replay, 1000).problems.join('\n'), /a value no client wrote: \/t\/a=a2/);
});

test('the log ends where the observers stopped: a lease expiry written after the members converged is part of it (soak seeds 7078, 7158, 7168, 7169, 7213)', () => {
  const { events } = simulate(WRITES);
  // The members converged at revision 14; the leader then revoked an expired lease, deleting /t/a at 15.
  const convergedAt = START + WRITES.length - 1;
  const a = watchOf(900, events);
  const b = watchOf(901, events.slice(0, -1), { progressAt: convergedAt });
  assert.match(buildLog([a, b], P, END, START, convergedAt).problems.join('\n'), /an event at revision 15, past the store's final revision 14/);
  const end = logEndRevision(convergedAt, [a, b]);
  assert.equal(end, START + WRITES.length);
  assert.deepEqual(buildLog([a, b], P, END, START, end).problems, []);
  // A stream that saw no more than the convergence leaves the end there.
  assert.equal(logEndRevision(convergedAt, [b]), convergedAt);
});
