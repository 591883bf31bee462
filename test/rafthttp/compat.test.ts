// The version and cluster checks on every peer request, made against the release the
// member runs as: etcd 3.4.23 refuses a sender whose minimum cluster version is 3.5,
// etcd 3.6 takes it; both refuse a sender older than 3.0 and one from another cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCompatibility, senderHeaders, ERR_CLUSTER_ID_MISMATCH, ERR_INCOMPATIBLE_VERSION } from '../../src/rafthttp/index.js';

const CLUSTER = 0xdeb4c0c9e3b4d5e3n;

function headers(server: string | undefined, minCluster: string | undefined, cluster = CLUSTER): Record<string, string> {
  const h: Record<string, string> = { 'x-server-from': 'abc', 'x-etcd-cluster-id': cluster.toString(16) };
  if (server !== undefined) h['x-server-version'] = server;
  if (minCluster !== undefined) h['x-min-cluster-version'] = minCluster;
  return h;
}

test('checkCompatibility: the sender is judged against the local release, major.minor only', () => {
  // A 3.4 sender is fine for either release.
  for (const local of ['3.4.23', '3.6.14']) assert.equal(checkCompatibility(headers('3.4.23', '3.0.0'), CLUSTER, local), undefined);
  // Minimum cluster version 3.5: too new for 3.4.23, fine for 3.6.14; a pre-release counts as its minor.
  assert.equal(checkCompatibility(headers('3.5.0', '3.5.0'), CLUSTER, '3.4.23')?.reason, ERR_INCOMPATIBLE_VERSION);
  assert.match(checkCompatibility(headers('3.5.0', '3.5.0'), CLUSTER, '3.4.23')?.detail ?? '', /local version is too low/);
  assert.equal(checkCompatibility(headers('3.5.0-alpha.0', '3.5.0-alpha.0'), CLUSTER, '3.6.14'), undefined);
  // No version headers: etcd 2.0, too old for both.
  for (const local of ['3.4.23', '3.6.14']) {
    const r = checkCompatibility(headers(undefined, undefined), CLUSTER, local);
    assert.equal(r?.reason, ERR_INCOMPATIBLE_VERSION);
    assert.match(r?.detail ?? '', /remote version is too low/);
  }
  assert.equal(checkCompatibility(headers('3.4.23', '3.0.0', 0x1234n), CLUSTER, '3.4.23')?.reason, ERR_CLUSTER_ID_MISMATCH);
  assert.equal(checkCompatibility(headers('v3', '3.0.0'), CLUSTER, '3.4.23')?.reason, ERR_INCOMPATIBLE_VERSION);
});

test("senderHeaders: the release the member runs as, etcd's minimum cluster version (3.0.0), the peer URLs", () => {
  const h = senderHeaders(0xabcn, CLUSTER, ['http://127.0.0.1:2380', 'http://10.0.0.1:2380'], '3.4.23');
  assert.deepEqual(
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])),
    {
      'x-server-from': 'abc',
      'x-server-version': '3.4.23',
      'x-min-cluster-version': '3.0.0',
      'x-etcd-cluster-id': 'deb4c0c9e3b4d5e3',
      'x-peerurls': 'http://127.0.0.1:2380,http://10.0.0.1:2380',
    },
  );
});
