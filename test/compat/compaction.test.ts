// etcdctl compaction and reads of compacted revisions, real etcd against etcd-ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcFailure, grpcKv } from '../helpers/grpc.js';
import { jsonRevision, same, startPair, type Pair } from './pair.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
});
after(async () => {
  await pair?.close();
});

test('compaction: history before the compacted revision is gone, later revisions stay', async () => {
  const revs: number[] = [];
  for (let i = 1; i <= 5; i++) revs.push(jsonRevision((await same(pair, ['put', 'c/k', `v${i}`, '-w', 'json'])).stdout));
  const at = revs[2]!;
  assert.equal((await same(pair, ['compaction', String(at)])).stdout, `compacted revision ${at}\n`);
  const old = await same(pair, ['get', 'c/k', `--rev=${revs[1]}`]);
  assert.equal(old.code, 1);
  assert.match(old.stderr, /Error: etcdserver: mvcc: required revision has been compacted/);
  assert.equal((await same(pair, ['get', 'c/k', `--rev=${at}`, '--print-value-only'])).stdout, 'v3\n');
  assert.equal((await same(pair, ['get', 'c/k', `--rev=${revs[4]}`, '--print-value-only'])).stdout, 'v5\n');
  assert.equal((await same(pair, ['get', 'c/k', '--print-value-only'])).stdout, 'v5\n');
  const again = await same(pair, ['compaction', String(at)]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /Error: etcdserver: mvcc: required revision has been compacted/);
  const lower = await same(pair, ['compaction', String(at - 1)]);
  assert.equal(lower.code, 1);
});

test('compaction --physical waits for the compaction to be applied', async () => {
  const rev = jsonRevision((await same(pair, ['put', 'c/p', 'x', '-w', 'json'])).stdout);
  assert.equal((await same(pair, ['compaction', '--physical', String(rev)])).stdout, `compacted revision ${rev}\n`);
  const r = await same(pair, ['get', 'c/p', `--rev=${rev - 1}`]);
  assert.match(r.stderr, /required revision has been compacted/);
});

test('compaction of a future revision fails like etcd', async () => {
  const r = await same(pair, ['compaction', '100000']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error: etcdserver: mvcc: required revision is a future revision/);
});

test('compacted and future reads over gRPC carry the same code and message', async () => {
  const failures = [];
  for (const m of [pair.etcd, pair.ts]) {
    const c = grpcKv(m);
    try {
      failures.push([
        await grpcFailure(c.kv.range({ key: Buffer.from('c/k'), revision: '2' })),
        await grpcFailure(c.kv.range({ key: Buffer.from('c/k'), revision: '99999' })),
        await grpcFailure(c.kv.compact({ revision: '2' })),
      ]);
    } finally {
      c.close();
    }
  }
  assert.deepEqual(failures[0], [
    { code: 11, message: 'etcdserver: mvcc: required revision has been compacted' },
    { code: 11, message: 'etcdserver: mvcc: required revision is a future revision' },
    { code: 11, message: 'etcdserver: mvcc: required revision has been compacted' },
  ]);
  assert.deepEqual(failures[1], failures[0]);
});
