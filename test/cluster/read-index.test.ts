// Linearizable reads served by followers at the same time: each follower's ReadIndex
// request must be answered, however its context numbers line up with another's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { grpcKv } from '../helpers/index.js';

test('concurrent linearizable reads through every member all complete', { timeout: 60_000 }, async () => {
  const c = await startCluster(3);
  const clients = c.members.map((m) => grpcKv(m.endpoint));
  try {
    await clients[0]!.kv.put({ key: Buffer.from('ri'), value: Buffer.from('v') });
    // Same pace on every member keeps their ReadIndex context counters in step.
    const rounds = 40;
    const started = Date.now();
    await Promise.all(
      clients.map(async (cl) => {
        for (let i = 0; i < rounds; i++) {
          const batch = await Promise.all(Array.from({ length: 8 }, () => cl.kv.range({ key: Buffer.from('ri') }, { timeoutMs: 4000 })));
          for (const r of batch) assert.equal(Buffer.from(r.kvs[0].value).toString(), 'v');
        }
      }),
    );
    assert.ok(Date.now() - started < 30_000, 'reads were answered without waiting for timeouts');
  } finally {
    for (const cl of clients) cl.close();
    await c.close();
  }
});
