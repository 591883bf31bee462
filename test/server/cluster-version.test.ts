// The cluster version as etcd 3.4 decides and applies it: the lowest server version of
// all members (major.minor), undecided while any member doesn't answer; a cluster with
// none yet gets 3.0.0 until every member answers; only a higher decided version
// replaces the current one. And the v2 requests that carry it and member attributes,
// applied as etcd's v2 applier applies them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterVersionMonitor, decideClusterVersion } from '../../src/server/cluster-version.js';
import { applyV2Request } from '../../src/server/apply-v2.js';
import { Membership } from '../../src/membership/index.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { silentLogger } from '../../src/pkg/logger.js';

test('decideClusterVersion: the lowest server version, or none while a member is silent or unparsable', () => {
  assert.deepEqual(decideClusterVersion(['3.4.23', '3.4.3', '3.5.1']), { major: 3, minor: 4, patch: 3, pre: '' });
  assert.equal(decideClusterVersion(['3.4.23', undefined]), undefined);
  assert.equal(decideClusterVersion(['3.4.23', 'three']), undefined);
});

function monitor(versions: Array<string | undefined>, current: string | undefined) {
  const proposed: string[] = [];
  const members = versions.map((_, i) => ({ id: BigInt(i + 1), name: `m${i}`, peerUrls: [`http://10.0.0.${i}:2380`], clientUrls: [], isLearner: false }));
  const m = new ClusterVersionMonitor({
    logger: silentLogger,
    isLeader: () => true,
    selfId: 1n,
    members: () => members,
    clusterVersion: () => current,
    fetchVersion: async (urls) => {
      const v = versions[Number(urls[0]!.split('.')[3]!.split(':')[0])];
      if (v === undefined) throw new Error('unreachable');
      return { server: v };
    },
    propose: async (v) => void proposed.push(v),
  });
  return { m, proposed };
}

test('the leader sets 3.0.0 while it cannot decide, the decided version once all answer, and never lowers it', async () => {
  const wait = () => new Promise((r) => setTimeout(r, 50));
  const a = monitor(['3.4.23', undefined, '3.4.23'], undefined);
  a.m.firstCommitInTerm();
  await wait();
  a.m.stop();
  assert.deepEqual(a.proposed, ['3.0.0']);
  const b = monitor(['3.4.23', '3.4.23', '3.4.23'], '3.0.0');
  b.m.firstCommitInTerm();
  await wait();
  b.m.stop();
  assert.deepEqual(b.proposed, ['3.4.0']);
  const c = monitor(['3.4.23', '3.3.9', '3.4.23'], '3.4.0');
  c.m.firstCommitInTerm();
  await wait();
  c.m.stop();
  assert.deepEqual(c.proposed, []);
});

test('v2 requests: attributes of a member, of a removed one, the cluster version, SYNC and v2 keys', () => {
  const ms = Membership.bootstrap(new MemoryBackend(), [{ id: 0xabcn, name: '', peerUrls: ['http://a:2380'], clientUrls: [], isLearner: false }]);
  assert.deepEqual(applyV2Request({ ID: 1n, Method: 'PUT', Path: '/0/members/abc/attributes', Val: '{"name":"m1","clientURLs":["http://a:2379"]}' }, ms), {});
  assert.deepEqual(ms.get(0xabcn), { id: 0xabcn, name: 'm1', peerUrls: ['http://a:2380'], clientUrls: ['http://a:2379'], isLearner: false });
  ms.remove(0xabcn);
  assert.match(applyV2Request({ ID: 2n, Method: 'PUT', Path: '/0/members/abc/attributes', Val: '{"name":"x"}' }, ms).warn ?? '', /removed member/);
  assert.deepEqual(applyV2Request({ ID: 3n, Method: 'PUT', Path: '/0/version', Val: '3.4.0' }, ms), { clusterVersion: '3.4.0' });
  assert.equal(ms.clusterVersion(), '3.4.0');
  assert.deepEqual(applyV2Request({ ID: 4n, Method: 'SYNC', Path: '', Val: '' }, ms), {});
  assert.match(applyV2Request({ ID: 5n, Method: 'PUT', Path: '/1/foo', Val: 'bar' }, ms).warn ?? '', /no v2 keys/);
});
