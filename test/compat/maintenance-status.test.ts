// Maintenance answers that monitoring and upgrade tooling rely on, against real etcd:
// Status carries every field etcd 3.4 fills, and Downgrade (an etcd 3.5 RPC) gets the
// grpc-go "unknown method" answer etcd 3.4 gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { etcdctl } from '../helpers/index.js';
import { startPair } from './pair.js';

function rawUnary(endpoint: string, path: string): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(endpoint.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        resolve({ code: err?.code ?? 0, details: err?.details ?? '' });
      },
    );
  });
}

test('Status fields and Downgrade match etcd 3.4', async () => {
  const pair = await startPair();
  try {
    const statuses = [];
    for (const m of [pair.etcd, pair.ts]) {
      assert.equal((await etcdctl(m, ['put', 'a', '1'])).code, 0);
      const r = await etcdctl(m, ['endpoint', 'status', '-w', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout)[0].Status;
      statuses.push(s);
      const d = await rawUnary(m.endpoint, '/etcdserverpb.Maintenance/Downgrade');
      assert.deepEqual(d, { code: grpc.status.UNIMPLEMENTED, details: 'unknown method Downgrade for service etcdserverpb.Maintenance' });
    }
    const [want, got] = statuses;
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), 'same Status fields');
    for (const s of statuses) {
      assert.equal(s.leader, s.header.member_id, 'a single member leads itself');
      assert.ok(s.dbSize > 0 && s.dbSizeInUse > 0 && s.dbSizeInUse <= s.dbSize);
      assert.ok(s.raftIndex >= 2 && s.raftAppliedIndex === s.raftIndex && s.raftTerm >= 1);
      assert.equal(s.header.revision, 2);
    }
  } finally {
    await pair.close();
  }
});
