// Membership changes through Raft conf changes, driven by the real etcdctl: add a
// learner, start it with the settings etcdctl prints, promote it, move the leader
// to it, remove a member; and etcd's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';

const idOf = (listOut: string, peerUrl: string) => listOut.split('\n').find((l) => l.includes(peerUrl))?.split(',')[0]?.trim();

test('member add (learner), join with the printed settings, promote, move-leader, remove', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const eps = c.endpoints();
  await etcdctl(eps, ['put', 'before-join', 'v']);

  const joiner = await c.newMember('m4', '');
  await c.linkedForReconfig();
  const add = await etcdctl(eps, ['member', 'add', 'm4', `--peer-urls=${joiner.peerUrl}`, '--learner']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^Member +[0-9a-f]+ added to cluster +[0-9a-f]+\n\nETCD_NAME="m4"\nETCD_INITIAL_CLUSTER="[^"]+"\nETCD_INITIAL_ADVERTISE_PEER_URLS="[^"]+"\nETCD_INITIAL_CLUSTER_STATE="existing"\n$/);
  const printed = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)![1]!;
  for (const m of c.members) assert.ok(printed.includes(`${m.name}=${m.peerUrl}`), printed);

  // Only one learner at a time; URLs already in use are refused.
  const second = await etcdctl(eps, ['member', 'add', 'm5', '--peer-urls=http://127.0.0.1:1', '--learner']);
  assert.match(second.stderr, /etcdserver: too many learner members in cluster/);
  const dup = await etcdctl(eps, ['member', 'add', 'm5', `--peer-urls=${c.members[0]!.peerUrl}`]);
  assert.match(dup.stderr, /etcdserver: Peer URLs already exists/);

  joiner.opts = { ...joiner.opts, initialCluster: printed, state: 'existing' };
  joiner.spawn();
  await joiner.ready();
  assert.match(joiner.logs(), /applied snapshot/);
  // The learner received the state that existed before it joined.
  const got = await etcdctl(joiner.endpoint, ['get', 'before-join', '--consistency=s']);
  assert.equal(got.stdout, 'before-join\nv\n');

  let list = (await etcdctl(eps, ['member', 'list'])).stdout;
  const id4 = idOf(list, joiner.peerUrl)!;
  assert.match(list, new RegExp(`${id4}, started, m4, ${joiner.peerUrl}, ${joiner.endpoint}, true`));
  const notLearner = await etcdctl(eps, ['member', 'promote', idOf(list, c.members[0]!.peerUrl)!]);
  assert.match(notLearner.stderr, /etcdserver: can only promote a learner member/);
  const promote = await etcdctl(eps, ['member', 'promote', id4]);
  assert.equal(promote.code, 0, promote.stderr);
  list = (await etcdctl(eps, ['member', 'list'])).stdout;
  assert.match(list, new RegExp(`${id4}, started, m4, ${joiner.peerUrl}, ${joiner.endpoint}, false`));

  // move-leader to the new voter.
  const all = [...eps, joiner.endpoint];
  const st = JSON.parse((await etcdctl(all, ['endpoint', 'status', '-w', 'json'])).stdout) as Array<{ Endpoint: string; Status: { leader: number; header: { member_id: number } } }>;
  const leaderEp = st.find((s) => s.Status.leader === s.Status.header.member_id)!.Endpoint;
  const move = await etcdctl(leaderEp, ['move-leader', id4]);
  assert.equal(move.code, 0, move.stderr);
  assert.match(move.stdout, new RegExp(`Leadership transferred from [0-9a-f]+ to ${id4}`));
  const st2 = (await etcdctl(joiner.endpoint, ['endpoint', 'status'])).stdout;
  assert.match(st2, /, true, false, /); // m4 is leader, not a learner

  // Remove m1; the rest keep serving and m1 stops.
  const id1 = idOf(list, c.members[0]!.peerUrl)!;
  // As etcd (mayRemoveMember), m4 removes a voter only once enough of its peers have been
  // connected to it for HealthInterval (5 s); m4 joined moments ago, so it may first answer
  // "unhealthy cluster", which etcdctl users retry.
  let rm = await etcdctl(joiner.endpoint, ['member', 'remove', id1]);
  for (const until = Date.now() + 20_000; rm.code !== 0 && /etcdserver: unhealthy cluster/.test(rm.stderr) && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 500));
    rm = await etcdctl(joiner.endpoint, ['member', 'remove', id1]);
  }
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, new RegExp(`Member +${id1} removed from cluster +[0-9a-f]+`));
  const gone = await etcdctl(joiner.endpoint, ['member', 'remove', id1]);
  assert.match(gone.stderr, /etcdserver: member not found/);
  const put = await etcdctl([c.members[1]!.endpoint], ['put', 'after-remove', 'ok']);
  assert.equal(put.code, 0, put.stderr);
  list = (await etcdctl(joiner.endpoint, ['member', 'list'])).stdout;
  assert.equal(list.trim().split('\n').length, 3);
  const deadline = Date.now() + 5000;
  while (!c.members[0]!.logs().includes('permanently removed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(c.members[0]!.logs(), /the member has been permanently removed from the cluster/);
});

test('leases on a follower: keep-alive and time-to-live are answered by the leader', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const st = JSON.parse((await etcdctl(c.endpoints(), ['endpoint', 'status', '-w', 'json'])).stdout) as Array<{ Endpoint: string; Status: { leader: number; header: { member_id: number } } }>;
  const follower = st.find((s) => s.Status.leader !== s.Status.header.member_id)!.Endpoint;
  const grant = await etcdctl(follower, ['lease', 'grant', '60']);
  const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(grant.stdout)?.[1];
  assert.ok(id, grant.stdout + grant.stderr);
  await etcdctl(follower, ['put', 'leased', 'v', `--lease=${id}`]);
  const ka = await etcdctl(follower, ['lease', 'keep-alive', '--once', id]);
  assert.equal(ka.code, 0, ka.stderr);
  assert.match(ka.stdout, new RegExp(`lease ${id} keepalived with TTL\\(60\\)`));
  const ttl = await etcdctl(follower, ['lease', 'timetolive', id, '--keys']);
  assert.match(ttl.stdout, new RegExp(`lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)`));
  const missing = await etcdctl(follower, ['lease', 'keep-alive', '--once', '1234']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /requested lease not found/);
});
