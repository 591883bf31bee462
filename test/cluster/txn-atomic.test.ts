// A txn that fails part-way through apply answers its error with no change, on
// every member: etcd 3.4.23 crashes the member on this request; etcd-ts once
// answered "key not found" after the delete had already been applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { grpcKv } from '../helpers/index.js';

const b = (s: string) => Buffer.from(s);

test('Txn{delete from "a" to the end, put k ignore_value}: key not found, nothing applied on any member', { timeout: 60_000 }, async () => {
  const c = await startCluster(3);
  const clients = c.members.map((m) => grpcKv(m.endpoint));
  try {
    const kv = clients[0]!.kv;
    await kv.put({ key: b('k'), value: b('v') });
    await kv.put({ key: b('a'), value: b('1') });
    const before = await kv.range({ key: b('\0'), rangeEnd: b('\0') });
    const req = {
      success: [
        { requestDeleteRange: { key: b('a'), rangeEnd: b('\0') } },
        { requestPut: { key: b('k'), ignoreValue: true } },
      ],
    };
    await assert.rejects(kv.txn(req), (err: any) => err.code === 3 && err.details === 'etcdserver: key not found');
    // The same entry reached every member's log; a write after it, once a member has applied
    // it, proves that member applied the txn's entry too.
    const next = await kv.put({ key: b('after'), value: b('x') });
    const rev = Number(next.header.revision);
    assert.equal(rev, Number(before.header.revision) + 1, 'the failed txn took no revision');
    for (const cl of clients) {
      // A follower's serializable read may come before it applies the write: wait (bounded) for it.
      let r = await cl.kv.range({ key: b('\0'), rangeEnd: b('\0'), serializable: true });
      for (let i = 0; i < 100 && Number(r.header.revision) < rev; i++) {
        await new Promise((res) => setTimeout(res, 50));
        r = await cl.kv.range({ key: b('\0'), rangeEnd: b('\0'), serializable: true });
      }
      assert.deepEqual(
        r.kvs.map((x: any) => [String(x.key), String(x.value), Number(x.version)]),
        [['a', '1', 1], ['after', 'x', 1], ['k', 'v', 1]],
      );
    }
    const hashes = await Promise.all(clients.map((cl) => cl.maintenance.hashKV({ revision: Number(next.header.revision) })));
    assert.equal(new Set(hashes.map((h) => h.hash)).size, 1, 'every member holds the same key bucket');
  } finally {
    for (const cl of clients) cl.close();
    await c.close();
  }
});
