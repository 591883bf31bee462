// Members time round trips to each other as etcd's prober does: /raft/probing on the
// peer port answers like etcd's, and etcd_network_peer_round_trip_time_seconds gets
// a series per peer (labelled with its hex ID) that keeps counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { Client } from '../../src/client/index.js';

async function rttCounts(endpoint: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^etcd_network_peer_round_trip_time_seconds_count\{To="([0-9a-f]+)"\} (\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

test('peers probe each other: /raft/probing and the round-trip histogram', { timeout: 30_000 }, async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const probe = await fetch(`${c.members[0]!.peerUrl}/raft/probing`, { signal: AbortSignal.timeout(5000) });
  assert.equal(probe.status, 200);
  const body = await probe.text();
  assert.match(body, /^\{"OK":true,"Now":"[^"]+"\}\n$/);

  const cl = new Client({ endpoints: [c.members[0]!.endpoint] });
  t.after(() => cl.close());
  const members = (await cl.cluster.memberList()).members;
  const self = members.find((m) => m.clientURLs.includes(c.members[0]!.endpoint))!;
  const peers = members.filter((m) => m.ID !== self.ID).map((m) => m.ID.toString(16)).sort();

  const deadline = Date.now() + 10_000;
  let counts = await rttCounts(c.members[0]!.endpoint);
  while ([...counts.keys()].sort().join() !== peers.join() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    counts = await rttCounts(c.members[0]!.endpoint);
  }
  assert.deepEqual([...counts.keys()].sort(), peers, 'one series per peer, by hex member ID');
  for (const n of counts.values()) assert.ok(n >= 1);
  // The prober keeps going: the counts grow with the next round (every 4 s).
  const first = counts;
  const later = Date.now() + 9000;
  let grown = false;
  while (!grown && Date.now() < later) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await rttCounts(c.members[0]!.endpoint);
    grown = peers.every((p) => (now.get(p) ?? 0) > (first.get(p) ?? 0));
  }
  assert.ok(grown, 'every peer probed again');
});
