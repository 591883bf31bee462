// converge(): members at one revision are compared by HashKV there, also when a compaction
// at that very revision makes etcd refuse a HashKV at it (as etcd 3.4 and etcd-ts both do).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { converge } from './verify.js';
import { grpcKv, startMember, type Member } from '../helpers/index.js';
import { Client } from '../../src/client/index.js';
import type { ClusterMember } from '../helpers/cluster.js';

let real: Member;
let ts: Member;
before(async () => {
  [real, ts] = await Promise.all([startMember('etcd', { name: 'c1' }), startMember('etcd-ts', { name: 'c1' })]);
});
after(async () => {
  await Promise.all([real?.stop(), ts?.stop()]);
});

for (const kind of ['etcd', 'etcd-ts'] as const) {
  test(`${kind}: a store compacted at its last revision still converges, at that revision`, async () => {
    const m = kind === 'etcd' ? real : ts;
    const { kv, close } = grpcKv(m);
    const cl = new Client({ endpoints: [m.endpoint] });
    try {
      await kv.put({ key: Buffer.from('a'), value: Buffer.from('1') });
      const rev = Number((await kv.put({ key: Buffer.from('a'), value: Buffer.from('2') })).header.revision);
      await kv.compact({ revision: rev, physical: true });
      await assert.rejects(cl.maintenance.hashKV(rev), /required revision has been compacted/, 'HashKV at the compaction revision is refused');
      const { revision, hash } = await converge([m as unknown as ClusterMember], 10_000);
      assert.equal(revision, rev);
      assert.equal(hash, Number((await cl.maintenance.hashKV(0)).hash));
    } finally {
      close();
      await cl.close();
    }
  });
}
