// put / get / del through the real etcdctl, real etcd against etcd-ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcKv } from '../helpers/grpc.js';
import { jsonRevision, same, sameProtobuf, startPair, type Pair } from './pair.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
});
after(async () => {
  await pair?.close();
});

test('put answers OK and --prev-kv returns the overwritten pair', async () => {
  assert.equal((await same(pair, ['put', 'p/a', 'v1'])).stdout, 'OK\n');
  assert.equal((await same(pair, ['put', 'p/a', 'v2', '--prev-kv'])).stdout, 'OK\np/a\nv1\n');
  const j = await same(pair, ['put', 'p/a', 'v3', '--prev-kv', '-w', 'json']);
  assert.match(j.stdout, /"prev_kv":\{"key":"cC9h",.*"version":2,"value":"djI="\}/);
  const f = await same(pair, ['put', 'p/b', 'x', '-w', 'fields']);
  assert.match(f.stdout, /^"Revision" : \d+$/m);
});

test('put --ignore-value keeps the value, and fails on a missing key', async () => {
  await same(pair, ['put', 'iv/k', 'original']);
  await same(pair, ['put', 'iv/k', '--ignore-value']);
  assert.equal((await same(pair, ['get', 'iv/k', '--print-value-only'])).stdout, 'original\n');
  const r = await same(pair, ['put', 'iv/missing', '--ignore-value']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: etcdserver: key not found/);
});

test('put with an empty key is rejected like etcd', async () => {
  const r = await same(pair, ['put', '', 'v']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: etcdserver: key is not provided/);
});

test('get: single key, prefix, from-key, range end, limit, missing key', async () => {
  for (const [k, v] of [['g/c', '3'], ['g/a', '1'], ['g/e', '5'], ['g/b', '2'], ['g/d', '4'], ['h/x', 'other']]) {
    await same(pair, ['put', k!, v!]);
  }
  assert.equal((await same(pair, ['get', 'g/a'])).stdout, 'g/a\n1\n');
  assert.equal((await same(pair, ['get', 'g/', '--prefix'])).stdout, 'g/a\n1\ng/b\n2\ng/c\n3\ng/d\n4\ng/e\n5\n');
  assert.equal((await same(pair, ['get', 'g/d', '--from-key', '--keys-only'])).stdout, 'g/d\n\ng/e\n\nh/x\n\niv/k\n\np/a\n\np/b\n\n');
  assert.equal((await same(pair, ['get', 'g/b', 'g/d'])).stdout, 'g/b\n2\ng/c\n3\n');
  assert.equal((await same(pair, ['get', 'g/', '--prefix', '--limit', '2'])).stdout, 'g/a\n1\ng/b\n2\n');
  const lim = await same(pair, ['get', 'g/', '--prefix', '--limit', '2', '-w', 'json']);
  assert.match(lim.stdout, /"more":true,"count":5/);
  assert.equal((await same(pair, ['get', 'g/zzz'])).stdout, '');
  assert.equal((await same(pair, ['get', 'g/zzz', '-w', 'json'])).code, 0);
});

test('get: sort-by and order', async () => {
  const desc = await same(pair, ['get', 'g/', '--prefix', '--keys-only', '--sort-by=KEY', '--order=DESCEND']);
  assert.equal(desc.stdout, 'g/e\n\ng/d\n\ng/c\n\ng/b\n\ng/a\n\n');
  // insertion order was c, a, e, b, d
  const byMod = await same(pair, ['get', 'g/', '--prefix', '--keys-only', '--sort-by=MODIFY', '--order=ASCEND']);
  assert.equal(byMod.stdout, 'g/c\n\ng/a\n\ng/e\n\ng/b\n\ng/d\n\n');
  await same(pair, ['get', 'g/', '--prefix', '--keys-only', '--sort-by=CREATE', '--order=DESCEND']);
  await same(pair, ['get', 'g/', '--prefix', '--sort-by=VALUE', '--order=DESCEND', '--limit', '3']);
  await same(pair, ['get', 'g/', '--prefix', '--sort-by=VERSION']);
  await same(pair, ['get', 'g/', '--prefix', '--order=DESCEND']);
  // A target without an order, with a limit: etcd takes the first limit+1 keys in key
  // order (a, b, c, d), sorts that page ascending by the target, then cuts to the limit.
  const page = await same(pair, ['get', 'g/', '--prefix', '--keys-only', '--sort-by=MODIFY', '--limit', '3']);
  assert.equal(page.stdout, 'g/c\n\ng/a\n\ng/b\n\n');
  const bad = await same(pair, ['get', 'g/', '--prefix', '--sort-by=NOPE']);
  assert.equal(bad.code, 4);
});

test('get: --rev reads history; a future revision fails like etcd', async () => {
  const first = await same(pair, ['put', 'r/k', 'old', '-w', 'json']);
  const rev = jsonRevision(first.stdout);
  await same(pair, ['put', 'r/k', 'new']);
  assert.equal((await same(pair, ['get', 'r/k', `--rev=${rev}`, '--print-value-only'])).stdout, 'old\n');
  assert.equal((await same(pair, ['get', 'r/k', `--rev=${rev - 1}`])).stdout, '');
  const future = await same(pair, ['get', 'r/k', `--rev=${rev + 1000}`]);
  assert.equal(future.code, 1);
  assert.match(future.stderr, /Error: etcdserver: mvcc: required revision is a future revision/);
});

test('get: output formats json, fields, table, hex, print-value-only, serializable', async () => {
  const j = await same(pair, ['get', 'g/', '--prefix', '-w', 'json']);
  assert.match(j.stdout, /^\{"header":\{"cluster_id":\d+,"member_id":\d+,"revision":\d+,"raft_term":\d+\},"kvs":\[/);
  const f = await same(pair, ['get', 'g/a', '-w', 'fields']);
  assert.match(f.stdout, /^"Key" : "g\/a"$/m);
  const t = await same(pair, ['get', 'g/a', '-w', 'table']);
  assert.equal(t.code, 4);
  assert.match(t.stderr, /table not supported as output format/);
  assert.equal((await same(pair, ['get', 'g/a', '--hex'])).stdout, '\\x67\\x2f\\x61\n\\x31\n');
  await same(pair, ['get', 'g/', '--prefix', '--hex', '-w', 'json']);
  assert.equal((await same(pair, ['get', 'g/', '--prefix', '--print-value-only'])).stdout, '1\n2\n3\n4\n5\n');
  await same(pair, ['get', 'g/', '--prefix', '--consistency=s', '--keys-only']);
  await same(pair, ['get', 'g/b', '--keys-only', '-w', 'json']);
});

test('-w protobuf: put, get, del and txn answers decode to the same messages', async () => {
  const p = await sameProtobuf(pair, ['put', 'pb/a', 'x', '--prev-kv'], 'PutResponse');
  assert.match(p.header.revision, /^\d+$/);
  const r = await sameProtobuf(pair, ['get', 'g/', '--prefix', '--limit', '3'], 'RangeResponse');
  assert.deepEqual(r.kvs.map((kv: any) => Buffer.from(kv.key, 'base64').toString()), ['g/a', 'g/b', 'g/c']);
  assert.equal(r.more, true);
  assert.equal(r.count, '5');
  const t = await sameProtobuf(pair, ['txn'], 'TxnResponse', { stdin: 'value("pb/a") = "x"\n\nget pb/a\n\n\n' });
  assert.equal(t.succeeded, true);
  const d = await sameProtobuf(pair, ['del', 'pb/', '--prefix', '--prev-kv'], 'DeleteRangeResponse');
  assert.equal(d.deleted, '1');
});

test('get: count-only through the gRPC API (etcdctl 3.4 has no --count-only)', async () => {
  const answers = [];
  for (const m of [pair.etcd, pair.ts]) {
    const c = grpcKv(m);
    try {
      const r = await c.kv.range({ key: Buffer.from('g/'), rangeEnd: Buffer.from('g0'), countOnly: true });
      answers.push({ count: r.count, kvs: r.kvs, more: r.more, revision: r.header.revision });
    } finally {
      c.close();
    }
  }
  assert.equal(answers[0]!.count, '5');
  assert.deepEqual(answers[1], answers[0]);
});

test('del: single, missing, prev-kv, prefix, from-key, range', async () => {
  for (const k of ['d/a', 'd/b', 'd/c', 'd/d', 'd/e', 'z/a', 'z/b', 'z/c']) await same(pair, ['put', k, `v-${k}`]);
  assert.equal((await same(pair, ['del', 'd/a'])).stdout, '1\n');
  assert.equal((await same(pair, ['del', 'd/a'])).stdout, '0\n');
  assert.equal((await same(pair, ['del', 'd/b', '--prev-kv'])).stdout, '1\nd/b\nv-d/b\n');
  const j = await same(pair, ['del', 'd/c', 'd/e', '--prev-kv', '-w', 'json']);
  assert.match(j.stdout, /"deleted":2,"prev_kvs":\[/);
  assert.equal((await same(pair, ['del', 'd/', '--prefix'])).stdout, '1\n');
  const f = await same(pair, ['del', 'z/c', '-w', 'fields']);
  assert.match(f.stdout, /^"Deleted" : 1$/m);
  assert.equal((await same(pair, ['del', 'z/', '--from-key'])).stdout, '2\n');
  assert.equal((await same(pair, ['get', 'z/', '--from-key'])).stdout, '');
  assert.match((await same(pair, ['get', '', '--from-key', '--keys-only', '-w', 'json'])).stdout, /"count":\d+/);
});
