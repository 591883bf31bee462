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

const versionsOf = (list: Array<string | undefined>) => new Map(list.map((v, i) => [BigInt(i + 1), v]));

test('decideClusterVersion: the lowest server version cut to major.minor; 3.0.0 while a member is silent or unparsable and none was decided', () => {
  assert.deepEqual(decideClusterVersion(undefined, versionsOf(['3.4.23', '3.4.3', '3.5.1'])), { next: '3.4.0' });
  assert.deepEqual(decideClusterVersion(undefined, versionsOf(['3.4.23', undefined])), { next: '3.0.0' });
  assert.deepEqual(decideClusterVersion(undefined, versionsOf(['3.4.23', 'three'])), { next: '3.0.0' });
  // Decided: only raised, and not while a member is silent.
  assert.deepEqual(decideClusterVersion('3.0.0', versionsOf(['3.4.23', '3.4.23'])), { next: '3.4.0' });
  assert.deepEqual(decideClusterVersion('3.0.0', versionsOf(['3.4.23', undefined])), {});
  assert.deepEqual(decideClusterVersion('3.4.0', versionsOf(['3.4.23', '3.3.9'])), {});
  // An etcd-ts member reporting 3.6 beside etcd 3.4 members leaves the cluster at 3.4.
  assert.deepEqual(decideClusterVersion('3.4.0', versionsOf(['3.4.23', '3.6.14', '3.4.23'])), {});
});

function monitor(versions: Array<string | undefined>, current: string | undefined) {
  const proposed: string[] = [];
  const m = new ClusterVersionMonitor({
    logger: silentLogger,
    isLeader: () => true,
    memberVersions: async () => versionsOf(versions),
    clusterVersion: () => current,
    downgrade: () => undefined,
    proposeClusterVersion: async (v) => void proposed.push(v),
    cancelDowngrade: async () => undefined,
  });
  return { m, proposed };
}

test('the leader sets 3.0.0 while it cannot decide, the decided version once all answer, and never lowers it', async () => {
  const a = monitor(['3.4.23', undefined, '3.4.23'], undefined);
  await a.m.updateClusterVersion();
  assert.deepEqual(a.proposed, ['3.0.0']);
  const b = monitor(['3.4.23', '3.4.23', '3.4.23'], '3.0.0');
  await b.m.updateClusterVersion();
  assert.deepEqual(b.proposed, ['3.4.0']);
  const c = monitor(['3.4.23', '3.3.9', '3.4.23'], '3.4.0');
  await c.m.updateClusterVersion();
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
