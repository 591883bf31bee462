// All-or-nothing requests: random sequences of puts, deletes and (nested) txns are
// applied to the MVCC store and to a plain reference model of etcd's KV semantics.
// A request that answers an error must change nothing — no revision, no key, no
// lease attachment, no stray backend record — while one that succeeds must do
// exactly what the model does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvApplier } from '../../src/apply/kv-applier.js';
import { checkRequest } from '../../src/apply/check.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { CompareResult, CompareTarget, type RequestOp, type TxnRequest } from '../../src/pb/kv.js';
import { EtcdError, Errors } from '../../src/rpctypes/errors.js';
import { rng } from '../mvcc/util.js';
import { s } from '../mvcc/util.js';
import { cmp, delReq, opDel, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from './reqs.js';

interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}
type State = Map<string, ModelKv>;

const LIVE_LEASE = 7n;
const KEYS = ['a', 'b', 'k', 'ka', 'kb', 'z'];

/** etcd's KV semantics, written plainly: a txn runs on a copy that replaces the state only if every op succeeds. */
class Model {
  state: State = new Map();
  rev = 1;
  history = new Map<number, State>([[1, new Map()]]);

  apply(op: RequestOp): void {
    // etcd's order of checks: a lone put checks its lease first; a txn checks the puts
    // of its taken branches against the state before it (key, then lease, op by op)
    // before applying anything. What only shows mid-txn is caught while applying.
    if (op.requestPut && op.requestPut.lease !== 0n && op.requestPut.lease !== LIVE_LEASE) throw Errors.LeaseNotFound;
    if (op.requestTxn) this.precheck(op.requestTxn);
    const next = new Map(this.state);
    const changed = { any: false };
    this.op(op, this.state, next, changed);
    if (!changed.any) return;
    this.rev++;
    this.state = next;
    this.history.set(this.rev, new Map(next));
  }

  private precheck(t: TxnRequest): void {
    const ok = t.compare.every((c) => compareHolds(this.state, c));
    for (const o of ok ? t.success : t.failure) {
      if (o.requestTxn) this.precheck(o.requestTxn);
      const p = o.requestPut;
      if (p === undefined) continue;
      if ((p.ignoreValue || p.ignoreLease) && !this.state.has(s(p.key))) throw Errors.KeyNotFound;
      if (p.lease !== 0n && p.lease !== LIVE_LEASE) throw Errors.LeaseNotFound;
    }
  }

  private op(op: RequestOp, before: State, st: State, changed: { any: boolean }): void {
    const rev = this.rev + 1;
    if (op.requestPut) {
      const p = op.requestPut;
      const k = s(p.key);
      const prev = st.get(k);
      if ((p.ignoreValue || p.ignoreLease) && prev === undefined) throw Errors.KeyNotFound;
      if (p.lease !== 0n && p.lease !== LIVE_LEASE) throw Errors.LeaseNotFound;
      st.set(k, {
        value: p.ignoreValue ? prev!.value : s(p.value),
        lease: p.ignoreLease ? prev!.lease : p.lease,
        create: prev ? prev.create : rev,
        mod: rev,
        version: (prev?.version ?? 0) + 1,
      });
      changed.any = true;
    } else if (op.requestDeleteRange) {
      for (const k of inRange(st, s(op.requestDeleteRange.key), s(op.requestDeleteRange.rangeEnd))) {
        st.delete(k);
        changed.any = true;
      }
    } else if (op.requestTxn) {
      const t = op.requestTxn;
      // Every compare of every nesting level sees the state before the request.
      const ok = t.compare.every((c) => compareHolds(before, c));
      for (const o of ok ? t.success : t.failure) this.op(o, before, st, changed);
    }
  }
}

function inRange(st: State, key: string, end: string): string[] {
  if (end === '') return st.has(key) ? [key] : [];
  return [...st.keys()].filter((k) => k >= key && (end === '\0' || k < end));
}

function compareHolds(st: State, c: TxnRequest['compare'][number]): boolean {
  const kv = st.get(s(c.key));
  let order: number;
  if (c.target === CompareTarget.VALUE) {
    if (kv === undefined) return false;
    const v = s(c.value!);
    order = kv.value < v ? -1 : kv.value > v ? 1 : 0;
  } else {
    const have = c.target === CompareTarget.VERSION ? (kv?.version ?? 0) : c.target === CompareTarget.MOD ? (kv?.mod ?? 0) : (kv?.create ?? 0);
    const want = c.target === CompareTarget.VERSION ? c.version! : c.target === CompareTarget.MOD ? c.modRevision! : c.createRevision!;
    order = Math.sign(have - want);
  }
  if (c.result === CompareResult.EQUAL) return order === 0;
  if (c.result === CompareResult.NOT_EQUAL) return order !== 0;
  if (c.result === CompareResult.GREATER) return order > 0;
  return order < 0;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomPut(r: () => number): RequestOp {
  const x = r();
  const lease = x < 0.15 ? LIVE_LEASE : x < 0.2 ? 9n : 0n;
  const y = r();
  const ignoreValue = y < 0.25;
  const ignoreLease = y > 0.75 && lease === 0n;
  return opPut(putReq(pick(r, KEYS), ignoreValue ? '' : `v${Math.floor(r() * 100)}`, { lease, ignoreValue, ignoreLease }));
}

function randomDelete(r: () => number): RequestOp {
  const key = pick(r, KEYS);
  const x = r();
  // "\0" is a from-key delete: etcd's duplicate-key check does not see it as a range.
  return opDel(delReq(key, x < 0.4 ? '' : x < 0.7 ? '\0' : pick(r, KEYS)));
}

function randomOps(r: () => number, depth: number): RequestOp[] {
  const n = 1 + Math.floor(r() * 4);
  const ops: RequestOp[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.4) ops.push(randomPut(r));
    else if (x < 0.7) ops.push(randomDelete(r));
    else if (x < 0.8) ops.push(opRange(rangeReq(pick(r, KEYS), { end: '\0' })));
    else if (depth < 2) ops.push(opTxn(randomTxn(r, depth + 1)));
  }
  return ops;
}

function randomTxn(r: () => number, depth = 0): TxnRequest {
  const compare = r() < 0.5 ? [] : [cmp(pick(r, KEYS), CompareTarget.VERSION, pick(r, [CompareResult.EQUAL, CompareResult.GREATER]), 0)];
  return txnReq(compare, randomOps(r, depth), randomOps(r, depth));
}

function randomRequest(r: () => number): RequestOp {
  const x = r();
  if (x < 0.25) return randomPut(r);
  if (x < 0.35) return randomDelete(r);
  return opTxn(randomTxn(r));
}

function storeState(store: MvccStore, rev = 0): State {
  const out: State = new Map();
  for (const kv of store.range(new Uint8Array([0]), new Uint8Array([0]), { rev }).kvs) {
    out.set(s(kv.key), { value: s(kv.value), create: kv.createRevision, mod: kv.modRevision, version: kv.version, lease: kv.lease });
  }
  return out;
}

function leaseKeys(st: State): string[] {
  return [...st].filter(([, kv]) => kv.lease === LIVE_LEASE).map(([k]) => k).sort();
}

function applyTo(kv: KvApplier, op: RequestOp): void {
  if (op.requestPut) kv.put(op.requestPut);
  else if (op.requestDeleteRange) kv.deleteRange(op.requestDeleteRange);
  else kv.txn(op.requestTxn!);
}

function run(seed: number, steps: number): { errors: number; rolledBack: number } {
  const r = rng(seed);
  const backend = new MemoryBackend();
  const store = MvccStore.open(backend);
  const attached = new Set<string>();
  const kv = new KvApplier(store, {
    exists: (id) => id === LIVE_LEASE,
    attach: (_id, key) => void attached.add(s(key)),
    detach: (_id, key) => void attached.delete(s(key)),
  });
  const model = new Model();
  const applied: RequestOp[] = [];
  let errors = 0;
  let rolledBack = 0;
  for (let i = 0; i < steps; i++) {
    const op = randomRequest(r);
    try {
      checkRequest(op, { maxTxnOps: 128 });
    } catch {
      continue; // refused before the log, as the server does
    }
    let want: unknown;
    try {
      model.apply(op);
    } catch (err) {
      want = err;
    }
    const revBefore = store.rev();
    let got: unknown;
    try {
      applyTo(kv, op);
    } catch (err) {
      got = err;
    }
    const where = `seed ${seed} step ${i}: ${JSON.stringify(op, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? s(v) : v))}`;
    assert.equal(got, want, where);
    if (got !== undefined) {
      assert.ok(got instanceof EtcdError, where);
      errors++;
      assert.equal(store.rev(), revBefore, `${where}: an error moved the revision`);
      if (op.requestTxn) rolledBack++;
    } else {
      applied.push(op);
    }
    assert.equal(store.rev(), model.rev, where);
    assert.deepEqual(storeState(store), model.state, where);
    assert.deepEqual([...attached].sort(), leaseKeys(model.state), `${where}: lease attachments`);
    // Every earlier revision still reads as the model recorded it.
    const old = 1 + Math.floor(r() * model.rev);
    assert.deepEqual(storeState(store, old), model.history.get(old), `${where}: read at revision ${old}`);
  }
  // No record of a failed request is left in the backend: the store reopened from it,
  // and a store that saw only the successful requests, hash to the same value.
  const reopened = MvccStore.open(backend);
  assert.deepEqual(storeState(reopened), model.state, `seed ${seed}: reopened store`);
  const clean = new KvApplier(MvccStore.open(new MemoryBackend()), { exists: (id) => id === LIVE_LEASE });
  for (const op of applied) applyTo(clean, op);
  assert.deepEqual(reopened.hashKV(), clean.store.hashKV(), `seed ${seed}: hash of the key bucket`);
  return { errors, rolledBack };
}

test('random requests: errors change nothing, successes match the model (300 seeds)', () => {
  let errors = 0;
  let rolledBack = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = run(seed, 60);
    errors += r.errors;
    rolledBack += r.rolledBack;
  }
  // The generator must reach the interesting paths, or the test proves little.
  assert.ok(errors > 300, `only ${errors} refused requests`);
  assert.ok(rolledBack > 100, `only ${rolledBack} refused txns`);
});

test('the issue case: a from-key delete then ignore_value on a key it removed answers key not found and changes nothing', () => {
  const store = MvccStore.open(new MemoryBackend());
  const kv = new KvApplier(store);
  kv.put(putReq('k', 'v'));
  kv.put(putReq('a', '1'));
  const rev = store.rev();
  const req = txnReq([], [opDel(delReq('a', '\0')), opPut(putReq('k', '', { ignoreValue: true }))]);
  checkRequest({ requestTxn: req }, { maxTxnOps: 128 });
  assert.throws(() => kv.txn(req), (e) => e === Errors.KeyNotFound);
  assert.equal(store.rev(), rev);
  assert.deepEqual([...storeState(store).keys()], ['a', 'k']);
  // The store goes on: the next write takes the next revision, as if nothing happened.
  kv.put(putReq('k', 'w'));
  assert.equal(store.rev(), rev + 1);
  assert.equal(storeState(store).get('k')!.version, 2);
});

test('a rolled-back txn that created and deleted keys leaves the index and the backend as before', () => {
  const backend = new MemoryBackend();
  const store = MvccStore.open(backend);
  const kv = new KvApplier(store);
  kv.put(putReq('a', '1'));
  kv.deleteRange(delReq('a'));
  kv.put(putReq('b', '1'));
  const before = store.hashKV();
  // New key n, a new generation of a, a tombstone of b, then the failing put.
  const req = txnReq([], [opPut(putReq('n', 'x')), opPut(putReq('a', '2')), opDel(delReq('b', '\0')), opPut(putReq('b', '', { ignoreLease: true }))]);
  assert.throws(() => kv.txn(req), (e) => e === Errors.KeyNotFound);
  assert.deepEqual(store.hashKV(), before);
  assert.deepEqual([...storeState(store).keys()], ['b']);
  assert.equal(store.range(new Uint8Array([0x6e]), undefined, { rev: 0 }).count, 0, 'n is not in the index');
  const reopened = MvccStore.open(backend);
  assert.equal(reopened.rev(), store.rev());
  assert.deepEqual(storeState(reopened), storeState(store));
  // Compaction after a rollback drops history as usual.
  kv.put(putReq('a', '3'));
  store.compact(store.rev());
  assert.deepEqual([...storeState(store).keys()], ['a', 'b']);
});
