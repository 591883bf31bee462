// A joining member asks its peers for the member list (GET /members). A peer that has
// not applied the joining member's addition yet lists the cluster without it: the next
// peer is asked, and the first answer is the fallback when no peer lists it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchCluster } from '../../src/rafthttp/index.js';
import { membersJson, type Member } from '../../src/membership/index.js';

const CLUSTER = 0xf21139604168cec6n;
const a: Member = { id: 0x1an, name: 'a', peerUrls: ['http://10.0.0.1:2380'], clientUrls: [], isLearner: false };
const joiner: Member = { id: 0x2bn, name: '', peerUrls: ['http://10.0.0.9:2380'], clientUrls: [], isLearner: true };

async function peer(members: Member[]): Promise<{ url: string; server: Server; asked: () => number }> {
  let asked = 0;
  const server = createServer((req, res) => {
    asked++;
    res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-cluster-id': CLUSTER.toString(16) }).end(membersJson(members));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, asked: () => asked };
}

test('fetchCluster: a peer whose list lacks the joining member is passed over for one that has it', async (t) => {
  const stale = await peer([a]);
  const current = await peer([a, joiner]);
  t.after(() => {
    stale.server.close();
    current.server.close();
  });
  const lists = (c: { members: Member[] }) => c.members.some((m) => m.peerUrls[0] === joiner.peerUrls[0]);
  const got = await fetchCluster([stale.url, current.url], 2000, undefined, lists);
  assert.equal(got.clusterId, CLUSTER);
  assert.deepEqual(got.members.map((m) => m.id), [0x1an, 0x2bn]);
  assert.equal(stale.asked(), 1);

  // Nobody lists it: the first answer, for the caller's refusal.
  const none = await fetchCluster([stale.url, stale.url], 2000, undefined, lists);
  assert.deepEqual(none.members.map((m) => m.id), [0x1an]);
  // Without a predicate, the first answer as before.
  assert.deepEqual((await fetchCluster([stale.url, current.url], 2000)).members.map((m) => m.id), [0x1an]);
});
