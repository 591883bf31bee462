// The cluster version across members, and MemberList's linearizable flag. Written from
// etcd 3.6.14's server/etcdserver/version/monitor.go (the leader takes the lowest server
// version its members report on their peer GET /version, only ever raising the cluster
// version) and server/etcdserver/server.go MemberList (a ReadIndex round first when the
// request asks for linearizable; etcd 3.4's MemberListRequest has no such field).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { startCluster, type ClusterMember } from '../helpers/cluster.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const pb = (grpc.loadPackageDefinition(protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, defaults: true })) as any).etcdserverpb;

async function versions(m: ClusterMember, port: 'client' | 'peer' = 'client'): Promise<Record<string, string>> {
  const base = port === 'client' ? m.endpoint : m.peerUrl;
  return (await fetch(`${base}/version`, { signal: AbortSignal.timeout(5000) })).json() as Promise<Record<string, string>>;
}

async function clusterVersionOf(m: ClusterMember, want: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = (await versions(m)).etcdcluster;
    if (v === want || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function memberList(m: ClusterMember, linearizable: boolean, timeoutMs: number): Promise<number | string> {
  const client = new pb.Cluster(m.endpoint.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
  return new Promise<number | string>((resolve) => {
    client.MemberList({ linearizable }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, r: { members: unknown[] }) => {
      resolve(err ? grpc.status[err.code] : r.members.length);
    });
  }).finally(() => client.close());
}

// Raising the cluster version once every member runs a newer release is checked on one member
// in compat/api36.test.ts (back to 3.6 when a downgrade job is cancelled).
test('a member behaving as 3.4.23 holds the cluster version of all at 3.4; linearizable MemberList needs a leader, 3.4.23 ignores the flag', async () => {
  const cluster = await startCluster(3, { memberArgs: [[], [], ['--emulated-etcd-version', '3.4.23']] });
  try {
    const [m1, m2, m3] = cluster.members;
    for (const m of cluster.members) assert.equal(await clusterVersionOf(m, '3.4.0'), '3.4.0', `${m.name} cluster version`);
    assert.deepEqual(await versions(m3, 'peer'), { etcdserver: '3.4.23', etcdcluster: '3.4.0' });
    assert.equal((await versions(m1, 'peer')).etcdserver, '3.6.14');

    // Without quorum: 3.6 answers a linearizable MemberList only after a ReadIndex round,
    // which cannot complete; a serializable one, and 3.4 (no such field), answer at once.
    await m2.stop();
    await m3.stop();
    assert.equal(await memberList(m1, false, 5000), 3);
    // No leader to confirm the read: etcd's timeout, or the client's deadline first.
    assert.ok(['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(String(await memberList(m1, true, 2000))));
    await m1.stop();
    // m3 alone has no leader either (it never becomes ready): 3.4.23 ignores the flag.
    m3.spawn();
    let answer: number | string = 'UNAVAILABLE';
    for (const deadline = Date.now() + 15_000; answer === 'UNAVAILABLE' && Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      answer = await memberList(m3, true, 5000);
    }
    assert.equal(answer, 3);
  } finally {
    await cluster.close();
  }
});
