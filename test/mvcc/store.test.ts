import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { decodeKeyValue, encodeKeyValue } from '../../src/pb/keyvalue.js';
import { META_SCHEDULED_COMPACT, writeRevMeta } from '../../src/mvcc/meta.js';
import { bytesToRev, isTombstone, revToBytes } from '../../src/mvcc/revision.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { EventType } from '../../src/pb/kv.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { b, s, tempDir } from './util.js';

function put(st: MvccStore, k: string, v: string, lease = 0n): number {
  const t = st.write();
  const rev = t.put(b(k), b(v), lease);
  t.end();
  return rev;
}

function del(st: MvccStore, k: string, end?: string): number {
  const t = st.write();
  const { deleted } = t.deleteRange(b(k), end === undefined ? undefined : b(end));
  t.end();
  return deleted;
}

const get = (st: MvccStore, k: string, rev = 0) => st.range(b(k), undefined, { rev }).kvs[0];
const keys = (st: MvccStore, k: string, end: string, rev = 0) => st.range(b(k), b(end), { rev }).kvs.map((kv) => s(kv.key));

test('revision bytes are etcd layout: 8-byte BE main, "_", 8-byte BE sub, tombstone "t"', () => {
  const r = revToBytes(0x0102030405, 7);
  assert.equal(Buffer.from(r).toString('hex'), '0000000102030405' + '5f' + '0000000000000007');
  assert.deepEqual(bytesToRev(r), { main: 0x0102030405, sub: 7 });
  const t = revToBytes(9, 0, true);
  assert.equal(t.length, 18);
  assert.ok(isTombstone(t) && !isTombstone(r));
});

test('KeyValue codec matches protobufjs on mvccpb.KeyValue', async () => {
  const root = await protobuf.load('proto/mvccpb/kv.proto');
  const T = root.lookupType('mvccpb.KeyValue');
  const kv = { key: b('foo'), value: b('x'.repeat(300)), createRevision: 5, modRevision: 2 ** 40, version: 3, lease: 0x7fffffff_ffffffffn };
  const mine = encodeKeyValue(kv);
  const theirs = T.encode(T.fromObject({ ...kv, lease: kv.lease.toString() })).finish();
  assert.equal(Buffer.from(mine).toString('hex'), Buffer.from(theirs).toString('hex'));
  const back = decodeKeyValue(theirs);
  assert.equal(s(back.key), 'foo');
  assert.equal(back.modRevision, 2 ** 40);
  assert.equal(back.lease, kv.lease);
  // Fields this codec does not know (from a newer etcd) are skipped, not misread.
  const extended = Buffer.concat([Buffer.from('3a03616263', 'hex'), Buffer.from(mine), Buffer.from('4001', 'hex')]);
  const ext = decodeKeyValue(extended);
  assert.deepEqual([s(ext.key), ext.version, ext.value.length], ['foo', 3, 300]);
  const tomb = encodeKeyValue({ key: b('k'), value: new Uint8Array(), createRevision: 0, modRevision: 0, version: 0, lease: 0n });
  assert.equal(Buffer.from(tomb).toString('hex'), '0a016b');
});

test('puts move the revision; create/mod/version follow generations', () => {
  const st = MvccStore.open(new MemoryBackend());
  assert.equal(st.rev(), 1);
  assert.equal(put(st, 'a', '1'), 2);
  assert.equal(put(st, 'a', '2'), 3);
  let kv = get(st, 'a');
  assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, s(kv.value)], [2, 3, 2, '2']);
  assert.equal(del(st, 'a'), 1);
  assert.equal(st.rev(), 4);
  assert.equal(get(st, 'a'), undefined);
  put(st, 'a', '3');
  kv = get(st, 'a');
  assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [5, 5, 1]);
  // History reads.
  assert.equal(s(get(st, 'a', 2).value), '1');
  assert.equal(get(st, 'a', 2).version, 1);
  assert.equal(get(st, 'a', 4), undefined);
  assert.equal(get(st, 'a', 1), undefined);
  assert.equal(del(st, 'missing'), 0);
  assert.equal(st.rev(), 5, 'a delete of nothing creates no revision');
});

test('range: prefix, from-key, limit with count, count only, future and compacted revisions', () => {
  const st = MvccStore.open(new MemoryBackend());
  for (const k of ['a', 'b', 'b1', 'b2', 'c', '\xff']) put(st, k, 'v');
  assert.deepEqual(keys(st, 'b', 'c'), ['b', 'b1', 'b2']);
  assert.deepEqual(keys(st, 'b1', '\0'), ['b1', 'b2', 'c', '\xff']);
  assert.deepEqual(keys(st, 'c', 'b'), []);
  const r = st.range(b('a'), b('\0'), { limit: 2 });
  assert.deepEqual([r.kvs.length, r.count, r.rev], [2, 6, 7]);
  const c = st.range(b('a'), b('\0'), { count: true, rev: 4 });
  assert.deepEqual([c.kvs.length, c.count], [0, 3]);
  assert.throws(() => st.range(b('a'), undefined, { rev: 8 }), (e) => e === Errors.FutureRev);
  st.compact(4);
  assert.throws(() => st.range(b('a'), undefined, { rev: 3 }), (e) => e === Errors.Compacted);
  assert.deepEqual(keys(st, 'a', '\0', 4), ['a', 'b', 'b1']);
});

test('a write txn is one revision, sees its own writes, and returns its events', () => {
  const st = MvccStore.open(new MemoryBackend());
  put(st, 'x', 'old', 7n);
  const seen: number[] = [];
  st.onWrite((evs, rev) => seen.push(evs.length, rev));
  const t = st.write();
  assert.equal(t.range(b('y'), undefined).kvs.length, 0);
  t.put(b('y'), b('1'));
  assert.equal(s(t.range(b('y'), undefined).kvs[0].value), '1');
  assert.equal(t.range(b('y'), undefined).rev, 3);
  t.put(b('x'), b('new'));
  const { deleted, rev } = t.deleteRange(b('x'), b('y'));
  assert.deepEqual([deleted, rev], [1, 3]);
  assert.equal(st.range(b('y'), undefined).kvs.length, 0, 'outside readers are not in the txn');
  const evs = t.end();
  assert.equal(st.rev(), 3);
  assert.deepEqual(seen, [3, 3]);
  assert.deepEqual(evs.map((e) => [e.type, s(e.kv.key), e.kv.modRevision]), [
    [EventType.PUT, 'y', 3],
    [EventType.PUT, 'x', 3],
    [EventType.DELETE, 'x', 3],
  ]);
  assert.equal(evs[0].prevKv, undefined);
  assert.equal(s(evs[1].prevKv!.value), 'old');
  assert.equal(evs[1].prevKv!.lease, 7n);
  assert.equal(s(evs[2].prevKv!.value), 'new');
  assert.equal(evs[1].kv.version, 2);
  const empty = st.write();
  assert.deepEqual(empty.end(), []);
  assert.equal(st.rev(), 3);
});

// etcd 3.6's server/storage/mvcc/key_index_test.go (TestKeyIndexCompactAndKeep) and
// tests/e2e/watch_test.go (testStartWatcherFromCompactedRevision): a tombstone at the
// compaction revision is kept, so a watch from there still gets the delete.
test('compaction keeps the latest version of live keys and a tombstone at the compaction revision, and drops older tombstones', async () => {
  const be = new MemoryBackend();
  const st = MvccStore.open(be);
  put(st, 'a', '1'); // 2
  put(st, 'a', '2'); // 3
  put(st, 'b', '1'); // 4
  del(st, 'b'); // 5
  put(st, 'c', '1'); // 6
  del(st, 'c'); // 7
  st.compact(5);
  assert.throws(() => st.compact(5), (e) => e === Errors.Compacted);
  assert.throws(() => st.compact(9), (e) => e === Errors.FutureRev);
  const revs = [...be.range('key', revToBytes(0, 0))].map(([k]) => `${bytesToRev(k).main}${isTombstone(k) ? 't' : ''}`);
  assert.deepEqual(revs, ['3', '5t', '6', '7t']);
  assert.equal(s(get(st, 'a', 5).value), '2');
  assert.equal(get(st, 'b', 5), undefined);
  assert.equal(s(get(st, 'c', 6).value), '1');
  assert.equal(st.keyCount(), 3, 'b keeps its index entry while its tombstone is kept');
  st.compact(7);
  const after = [...be.range('key', revToBytes(0, 0))].map(([k]) => `${bytesToRev(k).main}${isTombstone(k) ? 't' : ''}`);
  assert.deepEqual(after, ['3', '7t'], "b's tombstone goes once the compaction passes it; c's stays");
  assert.equal(st.keyCount(), 2);
  // A restart rebuilds the index from a key bucket that starts with a tombstone.
  const reopened = MvccStore.open(be);
  assert.equal(reopened.keyCount(), 2);
  assert.equal(get(reopened, 'c', 7), undefined);
  put(reopened, 'c', '2');
  assert.equal(s(get(reopened, 'c', 8).value), '2');
  assert.equal(get(reopened, 'c', 8)!.version, 1);
  reopened.compact(8);
  const last = [...be.range('key', revToBytes(0, 0))].map(([k]) => `${bytesToRev(k).main}${isTombstone(k) ? 't' : ''}`);
  assert.deepEqual(last, ['3', '8']);
});

test('hashKV is equal for equal histories, sensitive to contents, and honours compaction', () => {
  const mk = () => {
    const st = MvccStore.open(new MemoryBackend());
    put(st, 'a', '1');
    put(st, 'b', '2');
    del(st, 'a');
    return st;
  };
  const x = mk();
  const y = mk();
  assert.deepEqual(x.hashKV(0), y.hashKV(0));
  assert.equal(x.hashKV(0).revision, 4);
  assert.equal(x.hashKV(0).compactRevision, -1, 'etcd reports -1 before any compaction');
  const before = x.hashKV(3);
  put(x, 'c', '3');
  assert.equal(x.hashKV(3).hash, before.hash, 'a hash at a revision ignores later writes');
  assert.notEqual(x.hashKV(0).hash, y.hashKV(0).hash);
  // Members that compacted at the same revision agree, whatever else compaction removed.
  const z = mk();
  y.compact(3);
  z.compact(3);
  assert.deepEqual(y.hashKV(4), z.hashKV(4));
  assert.equal(y.hashKV(4).compactRevision, 3);
  assert.throws(() => y.hashKV(3), (e) => e === Errors.Compacted);
});

test('hashKV equals what etcd 3.4.23 reports for the same history', () => {
  // Figures taken from a real etcd: put a 1, put b 2, put a 3, del b, put c x*200, put b 9,
  // then `etcdctl endpoint hashkv`, `compact 4`, hashkv, hashkv --rev 5.
  const st = MvccStore.open(new MemoryBackend());
  put(st, 'a', '1');
  put(st, 'b', '2');
  put(st, 'a', '3');
  del(st, 'b');
  put(st, 'c', 'x'.repeat(200));
  put(st, 'b', '9');
  assert.deepEqual(st.hashKV(0), { hash: 93189263, revision: 7, compactRevision: -1, hashRevision: 7 });
  st.compact(4);
  assert.deepEqual(st.hashKV(0), { hash: 2959209472, revision: 7, compactRevision: 4, hashRevision: 7 });
  assert.deepEqual(st.hashKV(5), { hash: 1468967122, revision: 7, compactRevision: 4, hashRevision: 5 });
});

test('lmdb: restart rebuilds index, revision, compaction and consistent index', async () => {
  const dir = tempDir('etcd-ts-mvcc-');
  try {
    let be = LmdbBackend.open(dir.path);
    let st = MvccStore.open(be);
    put(st, 'a', '1');
    put(st, 'a', '2', 5n);
    put(st, 'b', '1');
    del(st, 'b');
    put(st, 'b', '2');
    st.compact(3);
    st.setConsistentIndex(42);
    const hash = st.hashKV(0);
    await be.commit();
    put(st, 'lost', 'x'); // never committed: a crash drops it
    await be.close();
    be = LmdbBackend.open(dir.path);
    st = MvccStore.open(be);
    assert.equal(st.rev(), 6);
    assert.equal(st.compactRev(), 3);
    assert.equal(st.consistentIndex(), 42);
    assert.deepEqual(st.hashKV(0), hash);
    const a = get(st, 'a');
    assert.deepEqual([a.createRevision, a.modRevision, a.version, a.lease], [2, 3, 2, 5n]);
    const b2 = get(st, 'b');
    assert.deepEqual([b2.createRevision, b2.version], [6, 1]);
    assert.equal(get(st, 'b', 5), undefined);
    assert.equal(s(get(st, 'b', 4).value), '1');
    assert.equal(get(st, 'lost'), undefined);
    assert.equal(put(st, 'a', '3'), 7);
    assert.deepEqual([get(st, 'a').version, get(st, 'a').createRevision], [3, 2]);
    await be.close();
  } finally {
    dir.remove();
  }
});

test('a compaction scheduled but not finished is finished on restart', async () => {
  const be = new MemoryBackend();
  let st = MvccStore.open(be);
  put(st, 'a', '1');
  put(st, 'a', '2');
  put(st, 'a', '3');
  writeRevMeta(be, META_SCHEDULED_COMPACT, 3);
  await be.commit();
  st = MvccStore.open(be);
  assert.equal(st.compactRev(), 3);
  assert.deepEqual([...be.range('key', revToBytes(0, 0))].map(([k]) => bytesToRev(k).main), [3, 4]);
  assert.throws(() => get(st, 'a', 2), (e) => e === Errors.Compacted);
});
