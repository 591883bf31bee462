import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startEtcd } from '../../src/index.js';
import { etcdctl, ETCDCTL_BIN } from '../helpers/etcdctl.js';
import { recordingLogger, type LogLine } from './fake-clock.js';

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && !cond(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(cond(), what);
}

const compactedAt = (logs: LogLine[]) => logs.filter((l) => l.msg === 'completed auto revision compaction').map((l) => l.fields.revision);

test('revision mode with retention 10: the member compacts itself; old revisions answer compacted', { skip: existsSync(ETCDCTL_BIN) ? false : `${ETCDCTL_BIN} is not installed` }, async () => {
  const logs: LogLine[] = [];
  const db = await startEtcd({ logger: recordingLogger(logs), autoCompactionMode: 'revision', autoCompactionRetention: 10, autoCompactionIntervalMs: 100 });
  try {
    const ep = db.endpoints[0]!;
    for (let i = 1; i <= 20; i++) await db.client.put('k', `v${i}`); // revisions 2…21
    await until('a compaction to revision 11', () => compactedAt(logs).includes(11));

    const old = await etcdctl(ep, ['get', 'k', '--rev=1']);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /Error: etcdserver: mvcc: required revision has been compacted/);
    const kept = await etcdctl(ep, ['get', 'k', '--rev=11']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(kept.stdout, 'k\nv10\n');

    const status = await etcdctl(ep, ['endpoint', 'status', '-w', 'json']);
    assert.equal(status.code, 0, status.stderr);
    const [s] = JSON.parse(status.stdout) as Array<{ Status: { header: { revision: number; member_id: number }; leader: number; errors?: string[]; dbSize: number } }>;
    assert.equal(s!.Status.header.revision, 21, 'compaction does not move the revision');
    assert.equal(s!.Status.leader, s!.Status.header.member_id);
    assert.equal(s!.Status.errors, undefined);
    assert.ok(s!.Status.dbSize > 0);

    // The same target is not compacted twice; new writes move it on.
    // (With a 100 ms interval a round may also land mid-way through the puts, e.g. at 10.)
    await new Promise((r) => setTimeout(r, 300));
    const once = compactedAt(logs) as number[];
    assert.equal(once[once.length - 1], 11, 'nothing new to compact: the last target stays 11');
    assert.deepEqual(once, [...new Set(once)].sort((a, b) => a - b), 'each target compacted once, in order');
    for (let i = 21; i <= 25; i++) await db.client.put('k', `v${i}`); // revisions 22…26
    await until('a compaction to revision 16', () => compactedAt(logs).includes(16));
    const later = await etcdctl(ep, ['get', 'k', '--rev=15']);
    assert.match(later.stderr, /required revision has been compacted/);
    assert.deepEqual(logs.filter((l) => l.level === 'warn' && /compaction/.test(l.msg)), []);
  } finally {
    await db.close();
  }
});
