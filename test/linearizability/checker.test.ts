import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grpcKv, startMember } from '../helpers/index.js';
import { checkHistory, explain, type CheckResult } from './checker.js';
import { generateKvHistory, mutateOneResult, rng } from './generate.js';
import { kvModel, type KvInput, type KvOperation, type KvOutput } from './kv-model.js';
import { Recorder, recordedKv } from './recorder.js';
import { checkRevisions } from './revisions.js';

const model = kvModel();
const check = (h: KvOperation[], opts = {}) => checkHistory(model, h, opts);

function op(clientId: number, call: number, ret: number | undefined, input: KvInput, output?: KvOutput): KvOperation {
  return ret === undefined ? { clientId, call, input } : { clientId, call, return: ret, input, output };
}
const put = (c: number, t0: number, t1: number | undefined, value: string, revision?: number, key = 'x') =>
  op(c, t0, t1, { kind: 'put', key, value }, t1 === undefined ? undefined : { kind: 'put', revision });
const get = (c: number, t0: number, t1: number, value: string | null, extra: { modRevision?: number; revision?: number } = {}, key = 'x') =>
  op(c, t0, t1, { kind: 'get', key }, { kind: 'get', value, ...extra });
const cas = (c: number, t0: number, t1: number | undefined, expected: string | null, value: string, succeeded?: boolean, key = 'x') =>
  op(c, t0, t1, { kind: 'cas', key, expected, value }, succeeded === undefined ? undefined : { kind: 'cas', succeeded });
const del = (c: number, t0: number, t1: number, deleted: number, key = 'x') =>
  op(c, t0, t1, { kind: 'delete', key }, { kind: 'delete', deleted });

function assertVerdict(r: CheckResult<KvInput, KvOutput>, verdict: string): void {
  assert.equal(r.verdict, verdict, explain(model, r));
}

test('a sequential history that follows the model is linearizable', () => {
  const r = check([
    get(0, 0, 1, null),
    put(0, 2, 3, 'a', 2),
    get(1, 4, 5, 'a', { modRevision: 2, revision: 2 }),
    cas(1, 6, 7, 'a', 'b', true),
    cas(0, 8, 9, 'a', 'c', false),
    get(0, 10, 11, 'b'),
    del(1, 12, 13, 1),
    del(1, 14, 15, 0),
    get(0, 16, 17, null),
  ]);
  assertVerdict(r, 'ok');
  assert.equal(r.partitions.length, 1);
  assert.equal(r.partitions[0]!.operations, 9);
});

test('a stale read after a completed write is not linearizable, and the read is the operation that cannot be placed', () => {
  const r = check([put(0, 0, 1, 'a'), put(0, 2, 3, 'b'), get(1, 4, 5, 'a')]);
  assertVerdict(r, 'illegal');
  const p = r.partitions[0]!;
  assert.equal(p.key, 'x');
  assert.equal(p.longestPrefix!.length, 2);
  assert.deepEqual(p.unplaced!.input, { kind: 'get', key: 'x' });
  assert.match(explain(model, r), /cannot place: client 1 get\(x\) -> "a"/);
});

test('a lost write (a later read misses a completed put) is not linearizable', () => {
  assertVerdict(check([put(0, 0, 1, 'a'), get(1, 2, 3, null)]), 'illegal');
  assertVerdict(check([put(0, 0, 1, 'a'), put(1, 0.5, 1.5, 'b'), get(2, 2, 3, 'a'), get(2, 4, 5, 'b')]), 'illegal');
});

test('compare-and-swap anomalies are not linearizable', () => {
  // Two creators both succeed.
  assertVerdict(check([cas(0, 0, 2, null, 'a', true), cas(1, 1, 3, null, 'b', true)]), 'illegal');
  // Succeeds although the value never equalled the expected one.
  assertVerdict(check([put(0, 0, 1, 'a'), cas(1, 2, 3, 'b', 'c', true)]), 'illegal');
  // Fails although the value was the expected one throughout.
  assertVerdict(check([put(0, 0, 1, 'a'), cas(1, 2, 3, 'a', 'c', false)]), 'illegal');
  // A successful swap that no later read observes.
  assertVerdict(check([put(0, 0, 1, 'a'), cas(1, 2, 3, 'a', 'c', true), get(0, 4, 5, 'a')]), 'illegal');
  // Concurrent: one creator wins, the loser fails, reads see the winner.
  assertVerdict(check([cas(0, 0, 2, null, 'a', false), cas(1, 1, 3, null, 'b', true), get(0, 4, 5, 'b')]), 'ok');
});

test('concurrent operations may take effect in either order, but reads must agree on one order', () => {
  // A put overlapping two reads: first sees nothing, the second sees it.
  assertVerdict(check([put(0, 0, 10, 'a'), get(1, 1, 2, null), get(1, 3, 4, 'a')]), 'ok');
  // Once seen, the write cannot be unseen.
  assertVerdict(check([put(0, 0, 10, 'a'), get(1, 1, 2, 'a'), get(1, 3, 4, null)]), 'illegal');
  // Two overlapping puts: either may win.
  assertVerdict(check([put(0, 0, 10, 'a'), put(1, 0, 10, 'b'), get(2, 11, 12, 'a')]), 'ok');
  assertVerdict(check([put(0, 0, 10, 'a'), put(1, 0, 10, 'b'), get(2, 11, 12, 'b')]), 'ok');
  // Readers seeing the two puts in opposite orders, one after the other.
  assertVerdict(
    check([put(0, 0, 10, 'a'), put(1, 0, 10, 'b'), get(2, 1, 2, 'a'), get(2, 3, 4, 'b'), get(3, 5, 6, 'a'), get(3, 7, 8, 'b')]),
    'illegal',
  );
  // Touching intervals count as concurrent.
  assertVerdict(check([put(0, 0, 5, 'a'), get(1, 5, 6, null)]), 'ok');
});

test('an operation whose outcome is unknown takes effect at any point after its call, or never', () => {
  // Never took effect.
  assertVerdict(check([put(0, 0, undefined, 'a'), get(1, 10, 11, null)]), 'ok');
  // Took effect long after the client gave up on it.
  assertVerdict(check([put(0, 0, undefined, 'a'), get(1, 10, 11, null), get(1, 20, 21, 'a')]), 'ok');
  // But not before it was called.
  assertVerdict(check([get(1, 0, 1, 'a'), put(0, 2, undefined, 'a')]), 'illegal');
  // And not undone once observed.
  assertVerdict(check([put(0, 0, undefined, 'a'), get(1, 10, 11, 'a'), get(1, 20, 21, null)]), 'illegal');
  // An unknown swap is applied only if its comparison holds where it is placed.
  assertVerdict(check([put(0, 0, 1, 'a'), cas(1, 2, undefined, 'b', 'c'), get(0, 10, 11, 'c')]), 'illegal');
  assertVerdict(check([put(0, 0, 1, 'a'), cas(1, 2, undefined, 'a', 'c'), get(0, 10, 11, 'c')]), 'ok');
  // Only unknown outcomes: nothing to contradict.
  assertVerdict(check([put(0, 0, undefined, 'a'), op(1, 0, undefined, { kind: 'get', key: 'x' })]), 'ok');
});

test('revisions: a read must see the last modification revision and a header no older than it', () => {
  assertVerdict(check([put(0, 0, 1, 'a', 2), put(0, 2, 3, 'a', 3), get(1, 4, 5, 'a', { modRevision: 3, revision: 3 })]), 'ok');
  // Same value, but the read reports the overwritten modification.
  assertVerdict(check([put(0, 0, 1, 'a', 2), put(0, 2, 3, 'a', 3), get(1, 4, 5, 'a', { modRevision: 2, revision: 3 })]), 'illegal');
  // A header older than the value it carries.
  assertVerdict(check([put(0, 0, 1, 'a', 5), get(1, 4, 5, 'a', { modRevision: 5, revision: 4 })]), 'illegal');
  // A later write with a smaller revision.
  assertVerdict(check([put(0, 0, 1, 'a', 5), put(0, 2, 3, 'b', 4)]), 'illegal');
  // An unknown put leaves its revision open; a read then pins it down, above the previous one.
  assertVerdict(check([put(0, 0, 1, 'a', 5), put(1, 2, undefined, 'b'), get(0, 3, 4, 'b', { modRevision: 9, revision: 9 })]), 'ok');
  assertVerdict(check([put(0, 0, 1, 'a', 5), put(1, 2, undefined, 'b'), get(0, 3, 4, 'b', { modRevision: 5, revision: 9 })]), 'illegal');
});

test('keys are checked separately and the failing key is named', () => {
  const r = check([
    put(0, 0, 1, 'a', undefined, 'k1'),
    get(1, 2, 3, 'a', {}, 'k1'),
    put(0, 0, 1, 'a', undefined, 'k2'),
    get(1, 2, 3, null, {}, 'k2'),
  ]);
  assertVerdict(r, 'illegal');
  assert.deepEqual(r.partitions.map((p) => [p.key, p.verdict]), [['k1', 'ok'], ['k2', 'illegal']]);
  assert.match(explain(model, r), /key "k2": not linearizable/);
});

test('a search beyond its budget stops with unknown instead of hanging', () => {
  // Forty unknown writes, any subset of which may have applied, then an impossible read:
  // refuting it means exploring every subset.
  const h: KvOperation[] = [];
  for (let i = 0; i < 40; i++) h.push(put(i, 0, undefined, `v${i}`));
  h.push(get(99, 1, 2, 'never-written'));
  const started = performance.now();
  const r = check(h, { maxStates: 20_000 });
  assertVerdict(r, 'unknown');
  assert.match(r.partitions[0]!.reason!, /state budget exceeded/);
  assert.ok(performance.now() - started < 2000);
  const timed = check(h, { timeoutMs: 50 });
  assertVerdict(timed, 'unknown');
  assert.match(timed.partitions[0]!.reason!, /time budget exceeded/);
});

test('revisions follow real time across keys and each modification has its own', () => {
  const h = [put(0, 0, 1, 'a', 2, 'k1'), put(1, 2, 3, 'b', 3, 'k2'), get(0, 4, 5, 'a', { modRevision: 2, revision: 3 }, 'k1')];
  assert.deepEqual(checkRevisions(h), []);
  // Both keys are fine alone, but the store cannot have written twice at revision 2.
  const dup = [put(0, 0, 1, 'a', 2, 'k1'), put(1, 0, 1, 'b', 2, 'k2')];
  assertVerdict(check(dup), 'ok');
  assert.match(checkRevisions(dup)[0]!.message, /two modifications at revision 2/);
  // A read of another key, called after a write returned, from an older store.
  const stale = [put(0, 0, 1, 'a', 7, 'k1'), get(1, 2, 3, null, { revision: 6 }, 'k2')];
  assertVerdict(check(stale), 'ok');
  assert.match(checkRevisions(stale)[0]!.message, /revision 6 read after an operation had returned revision 7/);
  // Concurrent operations may see revisions in either order.
  assert.deepEqual(checkRevisions([put(0, 0, 5, 'a', 7, 'k1'), get(1, 1, 3, null, { revision: 6 }, 'k2')]), []);
});

test('random linearizable histories check ok; one changed result mostly fails', () => {
  const seeds = 60;
  let mutated = 0;
  let caught = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const h = generateKvHistory({ seed, clients: 5, opsPerClient: 40, keys: ['a', 'b', 'c'], unknownRate: seed % 3 === 0 ? 0.1 : 0 });
    assertVerdict(check(h), 'ok');
    assert.deepEqual(checkRevisions(h), [], `seed ${seed}`);
    const m = mutateOneResult(h, rng(seed * 7919));
    if (m === undefined) continue;
    mutated++;
    const r = check(m);
    assert.notEqual(r.verdict, 'unknown', `seed ${seed}`);
    if (r.verdict === 'illegal' || checkRevisions(m).length > 0) caught++;
  }
  assert.ok(mutated >= seeds - 2);
  assert.ok(caught >= mutated * 0.8, `only ${caught} of ${mutated} mutations were caught`);
});

test('histories with mod-revision-guarded txns (puts and deletes) check ok; one changed result mostly fails', () => {
  let mutated = 0;
  let caught = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const h = generateKvHistory({ seed, clients: 5, opsPerClient: 40, keys: ['a', 'b'], unknownRate: seed % 3 === 0 ? 0.1 : 0, withTxn: true });
    assert.ok(h.some((op) => op.input.kind === 'txn'), `seed ${seed} has no txn`);
    assertVerdict(check(h), 'ok');
    assert.deepEqual(checkRevisions(h), [], `seed ${seed}`);
    const m = mutateOneResult(h, rng(seed * 104729));
    if (m === undefined) continue;
    mutated++;
    if (check(m).verdict === 'illegal' || checkRevisions(m).length > 0) caught++;
  }
  assert.ok(caught >= mutated * 0.8, `only ${caught} of ${mutated} mutations were caught`);
});

test('a few thousand operations on one key check in well under a second', () => {
  const h = generateKvHistory({ seed: 42, clients: 8, opsPerClient: 400, keys: ['hot'], unknownRate: 0.01 });
  assert.equal(h.length, 3200);
  const r = check(h);
  assertVerdict(r, 'ok');
  assert.ok(r.ms < 1000, `took ${r.ms.toFixed(0)} ms`);
  const bad = mutateOneResult(h.filter((o) => o.output !== undefined), rng(1))!;
  const rb = check(bad);
  assert.notEqual(rb.verdict, 'unknown');
  assert.ok(rb.ms < 1000, `refutation took ${rb.ms.toFixed(0)} ms`);
});

test('end to end: concurrent clients against one etcd-ts member produce a linearizable history', async () => {
  const member = await startMember('etcd-ts');
  const clients = Array.from({ length: 5 }, () => grpcKv(member));
  try {
    const recorder = new Recorder<KvInput, KvOutput>();
    const keys = ['lin/a', 'lin/b', 'lin/c'];
    const until = performance.now() + 1500;
    const r = rng(20241124);
    await Promise.all(
      clients.map(async (c, id) => {
        const kv = recordedKv(c.kv, recorder, id);
        for (let i = 0; i < 10_000 && performance.now() < until; i++) {
          const key = keys[Math.floor(r() * keys.length)]!;
          const dice = r();
          const value = `c${id}-${i}`;
          if (dice < 0.4) await kv.get(key);
          else if (dice < 0.65) await kv.put(key, value);
          else if (dice < 0.95) {
            const seen = await kv.get(key);
            const expected = seen?.kind === 'get' ? seen.value : null;
            await kv.cas(key, expected, value);
          } else await kv.delete(key);
        }
      }),
    );
    const h = recorder.history();
    assert.equal(recorder.failed(), 0);
    const result = check(h);
    assertVerdict(result, 'ok');
    assert.deepEqual(checkRevisions(h), []);
    assert.ok(h.length > 100, `only ${h.length} operations`);
    const successfulSwaps = h.filter((o) => o.output?.kind === 'cas' && o.output.succeeded).length;
    assert.ok(successfulSwaps > 0);
    // The same history with one read of a value nobody wrote must not pass.
    const i = h.findIndex((o) => o.output?.kind === 'get');
    const forged = h.map((o, k) => (k === i ? { ...o, output: { kind: 'get' as const, value: 'never-written' } } : o));
    assertVerdict(check(forged), 'illegal');
  } finally {
    for (const c of clients) c.close();
    await member.close();
  }
});
