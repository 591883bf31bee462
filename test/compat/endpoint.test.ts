// endpoint status / endpoint health / member list through etcdctl, real etcd against etcd-ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '../helpers/etcdctl.js';
import { same, startPair, type Pair } from './pair.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
  // Same history on both sides so that the header revision is comparable.
  await same(pair, ['put', 'ep/k', 'v']);
});
after(async () => {
  await pair?.close();
});

test('endpoint status in every output format', async () => {
  const s = await same(pair, ['endpoint', 'status']);
  assert.match(s.stdout, /^http:\/\/127\.0\.0\.1:\d+, [0-9a-f]+, 3\.4\.\d+, .+, true, false, \d+, \d+, \d+, \n$/);
  const t = await same(pair, ['endpoint', 'status', '-w', 'table']);
  assert.match(t.stdout, /\| +ENDPOINT +\| +ID +\| +VERSION +\| +DB SIZE +\| +IS LEADER +\| +IS LEARNER +\| +RAFT TERM +\| +RAFT INDEX +\| +RAFT APPLIED INDEX +\| +ERRORS +\|/);
  const j = await same(pair, ['endpoint', 'status', '-w', 'json']);
  assert.match(j.stdout, /^\[\{"Endpoint":"http:\/\/127\.0\.0\.1:\d+","Status":\{"header":\{"cluster_id":\d+,"member_id":\d+,"revision":2,"raft_term":\d+\},"version":"3\.4\.\d+","dbSize":\d+,"leader":\d+,"raftIndex":\d+,"raftTerm":\d+,"raftAppliedIndex":\d+,"dbSizeInUse":\d+\}\}\]\n$/);
  const f = await same(pair, ['endpoint', 'status', '-w', 'fields']);
  assert.match(f.stdout, /^"IsLearner" : false$/m);
  assert.match(f.stdout, /^"Revision" : 2$/m);
});

test('endpoint status: the member leads itself', async () => {
  const j = await same(pair, ['endpoint', 'status', '-w', 'json']);
  const member = /"member_id":(\d+)/.exec(j.stdout)?.[1];
  const leader = /"leader":(\d+)/.exec(j.stdout)?.[1];
  assert.ok(member !== undefined && member === leader, j.stdout);
  // etcd-ts must agree with itself as well (its IDs are masked in the comparison)
  const ts = await etcdctl(pair.ts, ['endpoint', 'status', '-w', 'json']);
  assert.equal(/"leader":(\d+)/.exec(ts.stdout)?.[1], /"member_id":(\d+)/.exec(ts.stdout)?.[1], ts.stdout);
});

test('endpoint health in every output format', async () => {
  const s = await same(pair, ['endpoint', 'health']);
  // etcdctl 3.4 reports health in simple format on stderr
  assert.equal(s.code, 0);
  assert.match(s.stderr, /^http:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = \S+\n$/);
  const j = await same(pair, ['endpoint', 'health', '-w', 'json']);
  assert.match(j.stdout, /^\[\{"endpoint":"http:\/\/127\.0\.0\.1:\d+","health":true,"took":"[^"]+"\}\]\n$/);
  await same(pair, ['endpoint', 'health', '-w', 'table']);
  await same(pair, ['endpoint', 'health', '-w', 'fields']);
});

test('member list in every output format', async () => {
  const s = await same(pair, ['member', 'list']);
  assert.match(s.stdout, /^[0-9a-f]+, started, n1, http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+, false\n$/);
  await same(pair, ['member', 'list', '-w', 'table']);
  const j = await same(pair, ['member', 'list', '-w', 'json']);
  assert.match(j.stdout, /"members":\[\{"ID":\d+,"name":"n1","peerURLs":\["http:\/\/127\.0\.0\.1:\d+"\],"clientURLs":\["http:\/\/127\.0\.0\.1:\d+"\]\}\]/);
  await same(pair, ['member', 'list', '-w', 'fields']);
});
