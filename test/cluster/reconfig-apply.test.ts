// Membership changes are checked again when they apply, as etcd's
// ValidateConfigurationChange does: two members accepting the same change at once
// must not both apply it. The second fails with etcd's error, and every member ends
// up with the same member list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { freePort } from '../helpers/ports.js';
import { Client } from '../../src/client/index.js';

const errorOf = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? String((r.reason as Error).message) : '');

test('concurrent member add of one peer URL and concurrent remove of one member, through two members', async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const [a, b] = [new Client({ endpoints: [c.members[0]!.endpoint] }), new Client({ endpoints: [c.members[1]!.endpoint] })];
  t.after(() => Promise.all([a.close(), b.close()]));
  await Promise.all([a.cluster.memberList(), b.cluster.memberList()]);
  await c.linkedForReconfig();

  for (let round = 0; round < 3; round++) {
    const url = `http://127.0.0.1:${await freePort()}`;
    const adds = await Promise.allSettled([a.cluster.memberAdd([url], { timeoutMs: 10_000 }), b.cluster.memberAdd([url], { timeoutMs: 10_000 })]);
    const added = adds.filter((r) => r.status === 'fulfilled');
    assert.equal(added.length, 1, `exactly one add of ${url} succeeds: ${adds.map(errorOf).join(' | ')}`);
    assert.match(adds.map(errorOf).join(''), /^etcdserver: (member ID already exist|Peer URLs already exists)$/);
    const id = (added[0] as PromiseFulfilledResult<{ member: { ID: bigint } }>).value.member.ID;

    const removes = await Promise.allSettled([a.cluster.memberRemove(id, { timeoutMs: 10_000 }), b.cluster.memberRemove(id, { timeoutMs: 10_000 })]);
    assert.equal(removes.filter((r) => r.status === 'fulfilled').length, 1, `exactly one remove succeeds: ${removes.map(errorOf).join(' | ')}`);
    assert.equal(removes.map(errorOf).join(''), 'etcdserver: member not found');
  }

  // Every member holds the same list: the three it started with.
  const lists = await Promise.all(c.members.map(async (m) => {
    const cl = new Client({ endpoints: [m.endpoint] });
    try {
      const r = await cl.cluster.memberList();
      return r.members.map((x) => `${x.ID.toString(16)} ${x.peerURLs.join(',')}`).sort().join('\n');
    } finally {
      await cl.close();
    }
  }));
  assert.equal(new Set(lists).size, 1, lists.join('\n---\n'));
  assert.equal(lists[0]!.split('\n').length, 3);
  // Both requests passed the check made on arrival; the log caught the second.
  assert.match(c.members.map((m) => m.logs()).join(''), /rejected a membership change at apply/);
});
