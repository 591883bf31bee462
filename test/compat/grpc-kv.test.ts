// The KV service through a real gRPC client, for request fields etcdctl does not
// expose (revision filters, nested txns, range compares, ignore_value…); whole
// responses are compared with only the header identities masked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcFailure, grpcKv, type GrpcFailure, type GrpcKv, type Msg } from '../helpers/grpc.js';
import { startPair, type Pair } from './pair.js';

let pair: Pair;
let etcd: GrpcKv;
let ts: GrpcKv;
before(async () => {
  pair = await startPair();
  etcd = grpcKv(pair.etcd);
  ts = grpcKv(pair.ts);
});
after(async () => {
  etcd?.close();
  ts?.close();
  await pair?.close();
});

/** Masks what differs between two clusters (IDs, term) at any depth; revisions stay. */
function masked(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) return v.map(masked);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === 'clusterId' || k === 'memberId' || k === 'raftTerm' ? '<masked>' : masked(x);
  }
  return out;
}

type Outcome = { ok: unknown } | { error: GrpcFailure };

async function outcome(call: Promise<Msg>): Promise<Outcome> {
  try {
    return { ok: masked(await call) };
  } catch (err) {
    return { error: await grpcFailure(Promise.reject(err)) };
  }
}

/** Sends the same request to etcd, then etcd-ts; asserts equal answers and returns etcd's. */
async function same(call: (c: GrpcKv) => Promise<Msg>): Promise<Outcome> {
  const want = await outcome(call(etcd));
  const got = await outcome(call(ts));
  assert.deepEqual(got, want);
  return want;
}

const b = (s: string) => Buffer.from(s);
const okOf = (o: Outcome): any => {
  assert.ok('ok' in o, `expected success, got ${JSON.stringify(o)}`);
  return o.ok;
};

async function sameIgnoringTies(req: Record<string, unknown>, field: string, direction: 1 | -1): Promise<void> {
  const results: string[][] = [];
  for (const [m, c] of [[pair.etcd, etcd], [pair.ts, ts]] as const) {
    const r = await c.kv.range(req);
    const values = r.kvs.map((kv: any) => Number(kv[field]));
    for (let i = 1; i < values.length; i++) assert.ok((values[i] - values[i - 1]) * direction >= 0, `${m.kind}: ordered by ${field}`);
    results.push(r.kvs.map((kv: any) => `${kv.key.toString('hex')}=${kv[field]}`).sort());
  }
  assert.deepEqual(results[1], results[0]);
}

test('bulk writes by txn, then limit, sort and keys-only over 300 keys', async () => {
  for (let batch = 0; batch < 3; batch++) {
    const success = Array.from({ length: 100 }, (_, i) => {
      const n = batch * 100 + i;
      // values in reverse order of keys so that sorting by value differs from sorting by key
      return { requestPut: { key: b(`bulk/${String(n).padStart(3, '0')}`), value: b(`v${String(299 - n).padStart(3, '0')}`) } };
    });
    okOf(await same((c) => c.kv.txn({ success })));
  }
  const all = { key: b('bulk/'), rangeEnd: b('bulk0') };
  const limited = okOf(await same((c) => c.kv.range({ ...all, limit: 7 })));
  assert.equal(limited.kvs.length, 7);
  assert.equal(limited.more, true);
  assert.equal(limited.count, '300');
  const byValue = okOf(await same((c) => c.kv.range({ ...all, limit: 3, sortTarget: 'VALUE', sortOrder: 'ASCEND' })));
  assert.deepEqual(byValue.kvs.map((kv: any) => kv.key), ['0x' + b('bulk/299').toString('hex'), '0x' + b('bulk/298').toString('hex'), '0x' + b('bulk/297').toString('hex')]);
  await same((c) => c.kv.range({ ...all, limit: 5, sortTarget: 'KEY', sortOrder: 'DESCEND', keysOnly: true }));
  // Keys written by one txn share create/mod revisions and versions: the order of such
  // ties is unspecified (etcd's unstable sort), so those results are compared as sets
  // after checking that each side is ordered by its target.
  await sameIgnoringTies({ ...all, sortTarget: 'CREATE', sortOrder: 'DESCEND' }, 'createRevision', -1);
  await sameIgnoringTies({ ...all, sortTarget: 'MOD', sortOrder: 'ASCEND' }, 'modRevision', 1);
  await sameIgnoringTies({ ...all, sortTarget: 'VERSION', sortOrder: 'NONE' }, 'version', 1);
  await same((c) => c.kv.range({ ...all, serializable: true, countOnly: true }));
});

test('range revision filters and historical reads', async () => {
  const first = okOf(await same((c) => c.kv.put({ key: b('f/a'), value: b('1') })));
  const rev0 = Number(first.header.revision);
  await same((c) => c.kv.put({ key: b('f/b'), value: b('1') }));
  await same((c) => c.kv.put({ key: b('f/a'), value: b('2') }));
  await same((c) => c.kv.put({ key: b('f/c'), value: b('1') }));
  const all = { key: b('f/'), rangeEnd: b('f0') };
  const modMin = okOf(await same((c) => c.kv.range({ ...all, minModRevision: String(rev0 + 2) })));
  assert.deepEqual(modMin.kvs.map((kv: any) => kv.key), ['0x' + b('f/a').toString('hex'), '0x' + b('f/c').toString('hex')]);
  await same((c) => c.kv.range({ ...all, maxModRevision: String(rev0 + 1) }));
  await same((c) => c.kv.range({ ...all, minCreateRevision: String(rev0 + 1), maxCreateRevision: String(rev0 + 1) }));
  const old = okOf(await same((c) => c.kv.range({ ...all, revision: String(rev0 + 1) })));
  assert.equal(old.kvs.length, 2);
  await same((c) => c.kv.range({ key: b('f/a'), rangeEnd: Buffer.from([0]) }));
  await same((c) => c.kv.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), keysOnly: true, limit: 3 }));
  await same((c) => c.kv.range({ key: b('f/c'), rangeEnd: b('f/a') }));
});

test('put options: prev_kv, ignore_value, ignore_lease, unknown lease', async () => {
  const p = okOf(await same((c) => c.kv.put({ key: b('o/k'), value: b('1'), prevKv: true })));
  assert.equal(p.prevKv, null);
  const p2 = okOf(await same((c) => c.kv.put({ key: b('o/k'), value: b('2'), prevKv: true })));
  assert.equal(p2.prevKv.value, '0x' + b('1').toString('hex'));
  await same((c) => c.kv.put({ key: b('o/k'), ignoreValue: true, prevKv: true }));
  const withValue = await same((c) => c.kv.put({ key: b('o/k'), value: b('x'), ignoreValue: true }));
  assert.deepEqual(withValue, { error: { code: 3, message: 'etcdserver: value is provided' } });
  const missing = await same((c) => c.kv.put({ key: b('o/missing'), ignoreValue: true }));
  assert.deepEqual(missing, { error: { code: 3, message: 'etcdserver: key not found' } });
  const lease = await same((c) => c.kv.put({ key: b('o/k'), value: b('x'), lease: '12345' }));
  assert.deepEqual(lease, { error: { code: 5, message: 'etcdserver: requested lease not found' } });
  const ignoreLease = await same((c) => c.kv.put({ key: b('o/k'), value: b('x'), lease: '12345', ignoreLease: true }));
  assert.deepEqual(ignoreLease, { error: { code: 3, message: 'etcdserver: lease is provided' } });
  await same((c) => c.kv.put({ key: b('o/k'), value: b('3'), ignoreLease: true }));
});

test('delete range: prev_kv, open-ended range, nothing to delete', async () => {
  for (const k of ['x/a', 'x/b', 'x/c']) await same((c) => c.kv.put({ key: b(k), value: b(k) }));
  const one = okOf(await same((c) => c.kv.deleteRange({ key: b('x/a'), prevKv: true })));
  assert.equal(one.deleted, '1');
  const none = okOf(await same((c) => c.kv.deleteRange({ key: b('x/a'), prevKv: true })));
  assert.equal(none.deleted, '0');
  const rest = okOf(await same((c) => c.kv.deleteRange({ key: b('x/b'), rangeEnd: b('x0'), prevKv: true })));
  assert.equal(rest.prevKvs.length, 2);
});

test('txn: compares on every target, range compares, nested txn, results per branch', async () => {
  await same((c) => c.kv.put({ key: b('t/a'), value: b('10') }));
  await same((c) => c.kv.put({ key: b('t/b'), value: b('20') }));
  const cmp = (target: string, result: string, field: Msg, key = 't/a', rangeEnd?: string): Msg => ({ target, result, key: b(key), ...(rangeEnd ? { rangeEnd: b(rangeEnd) } : {}), ...field });
  const cases: Msg[][] = [
    [cmp('VALUE', 'EQUAL', { value: b('10') })],
    [cmp('VALUE', 'GREATER', { value: b('09') }), cmp('VERSION', 'EQUAL', { version: '1' })],
    [cmp('CREATE', 'LESS', { createRevision: '1000' }), cmp('MOD', 'NOT_EQUAL', { modRevision: '0' })],
    [cmp('LEASE', 'EQUAL', { lease: '0' })],
    [cmp('VERSION', 'GREATER', { version: '0' }, 't/', 't0')],
    [cmp('VALUE', 'LESS', { value: b('15') }, 't/', 't0')],
    [cmp('MOD', 'GREATER', { modRevision: '0' }, 't/zzz')],
  ];
  for (const compare of cases) {
    await same((c) => c.kv.txn({ compare, success: [{ requestRange: { key: b('t/'), rangeEnd: b('t0') } }], failure: [{ requestPut: { key: b('t/failed'), value: b('1'), prevKv: true } }] }));
  }
  const nested = okOf(await same((c) => c.kv.txn({
    compare: [cmp('VALUE', 'EQUAL', { value: b('10') })],
    success: [
      { requestTxn: { compare: [cmp('VALUE', 'EQUAL', { value: b('nope') }, 't/b')], success: [], failure: [{ requestPut: { key: b('t/n'), value: b('inner') } }] } },
      { requestRange: { key: b('t/b') } },
    ],
  })));
  assert.equal(nested.succeeded, true);
  assert.equal(nested.responses[0].responseTxn.succeeded, false);
  const empty = okOf(await same((c) => c.kv.txn({})));
  assert.equal(empty.succeeded, true);
  const nestedDup = await same((c) => c.kv.txn({
    success: [{ requestPut: { key: b('t/d'), value: b('1') } }, { requestTxn: { success: [{ requestPut: { key: b('t/d'), value: b('2') } }] } }],
  }));
  assert.deepEqual(nestedDup, { error: { code: 3, message: 'etcdserver: duplicate key given in txn request' } });
});

test('compact through gRPC, physical and not, and reads around it', async () => {
  const r = okOf(await same((c) => c.kv.put({ key: b('k/c'), value: b('1') })));
  await same((c) => c.kv.put({ key: b('k/c'), value: b('2') }));
  okOf(await same((c) => c.kv.compact({ revision: r.header.revision, physical: true })));
  const gone = await same((c) => c.kv.range({ key: b('k/c'), revision: String(Number(r.header.revision) - 1) }));
  assert.deepEqual(gone, { error: { code: 11, message: 'etcdserver: mvcc: required revision has been compacted' } });
  const at = okOf(await same((c) => c.kv.range({ key: b('k/c'), revision: r.header.revision })));
  assert.equal(at.kvs[0].value, '0x' + b('1').toString('hex'));
  await same((c) => c.kv.compact({ revision: String(Number(r.header.revision) + 1) }));
  const status = await Promise.all([etcd.maintenance.status({}), ts.maintenance.status({})]);
  assert.equal(status[1].header.revision, status[0].header.revision);
});
