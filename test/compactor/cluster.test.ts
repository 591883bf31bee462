import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type EmbeddedEtcd } from '../../src/index.js';
import { freePort } from '../helpers/ports.js';
import { recordingLogger, type LogLine } from './fake-clock.js';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 2000 && !cond(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(cond(), what);
}

const attempts = (logs: LogLine[]) => logs.filter((l) => l.msg === 'starting auto revision compaction');

test('two members: only the leader compacts, and the compaction reaches the follower', async () => {
  const names = ['c0', 'c1'];
  const ports = [await freePort(), await freePort()];
  const initialCluster = names.map((name, i) => ({ name, peerUrls: [`http://127.0.0.1:${ports[i]}`] }));
  const logs: LogLine[][] = [[], []];
  const members: EmbeddedEtcd[] = [];
  try {
    const started = names.map((name, i) =>
      startEtcd({
        name,
        initialCluster,
        initialClusterToken: 'compactor-test',
        listenPeerUrls: [new URL(`http://127.0.0.1:${ports[i]}`)],
        heartbeatMs: 50,
        electionTimeoutMs: 500,
        logger: recordingLogger(logs[i]!),
        autoCompactionMode: 'revision',
        autoCompactionRetention: 5,
        autoCompactionIntervalMs: 100,
      }),
    );
    members.push(...(await Promise.all(started)));
    const leaderIdx = members.findIndex((m) => m.member.server.leader === m.member.server.id);
    assert.ok(leaderIdx >= 0, 'a leader among the two');
    const follower = members[1 - leaderIdx]!;
    for (let i = 1; i <= 10; i++) await follower.client.put('k', `v${i}`); // revisions 2…11
    await until('the leader compacting to revision 6', () => attempts(logs[leaderIdx]!).some((l) => l.fields.revision === 6));
    // Give the follower's compactor several of its intervals to (wrongly) act.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(attempts(logs[1 - leaderIdx]!), []);
    await assert.rejects(follower.client.get('k', { revision: 5, serializable: true }), /required revision has been compacted/);
    assert.equal((await follower.client.get('k', { revision: 6, serializable: true })).kvs.length, 1);
  } finally {
    await Promise.all(members.map((m) => m.close()));
  }
});
