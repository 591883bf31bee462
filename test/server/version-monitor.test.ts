// The leader's version monitor on its timers (server/etcdserver/version/monitor.go as run by
// etcd 3.6's server.go: the cluster version every 4 s, the downgrade job's end every
// --downgrade-check-time, 5 s by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterVersionMonitor, type DowngradeInfo, type VersionMonitorDeps } from '../../src/server/cluster-version.js';
import { createLogger } from '../../src/pkg/logger.js';

function deps(downgrade: DowngradeInfo, counts: { versions: number; cancels: number }): VersionMonitorDeps {
  return {
    logger: createLogger({ level: 'error' }),
    isLeader: () => true,
    memberVersions: async () => {
      counts.versions++;
      return new Map([[1n, '3.5.0']]);
    },
    clusterVersion: () => '3.5.0',
    downgrade: () => downgrade,
    proposeClusterVersion: async () => undefined,
    cancelDowngrade: async () => {
      counts.cancels++;
      downgrade.enabled = false;
    },
  };
}

test('--downgrade-check-time: the job is ended on its own interval, not the version check\'s', { timeout: 10_000 }, async () => {
  const counts = { versions: 0, cancels: 0 };
  const m = new ClusterVersionMonitor(deps({ enabled: true, targetVersion: '3.5.0' }, counts));
  // Version checks every 5 s would see nothing within the test; the downgrade check at 100 ms does.
  m.start(5_000, 100);
  try {
    const deadline = Date.now() + 3_000;
    while (counts.cancels === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(counts.cancels, 1, 'every member runs the target: the job ends');
  } finally {
    m.stop();
  }
});
