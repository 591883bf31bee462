// A follower that fell so far behind that the leader sends it a snapshot keeps its
// watchers going over the installed store, as etcd's watchable store does on
// restore: the events written meanwhile arrive in order on the same stream, or,
// when the leader compacted them away, the watch is canceled with the compacted
// revision. Nothing is lost silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderOf, startCluster } from '../helpers/cluster.js';
import { Client, WatchCompactedError } from '../../src/client/index.js';

/** More than the leader's in-flight window to the follower plus twice its catch-up window. */
const BEHIND = 900;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One at a time, so that each entry leaves in its own append: the leader stops
 * sending to the paused follower once its in-flight window (512 appends) is full,
 * and the rest must reach it through a snapshot.
 */
async function putMany(cl: Client, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await cl.put(`${prefix}${i}`, `v${i}`, { timeoutMs: 10_000 });
}

async function until(what: string, ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('watchers on a follower survive the snapshot it installs: every event, or a compaction cancel', { timeout: 60_000 }, async (t) => {
  // A small --snapshot-count narrows the leader's in-memory catch-up window to 100 entries.
  const c = await startCluster(3, { extraArgs: ['--snapshot-count', '100'] });
  t.after(() => c.close());
  const leader = await leaderOf(c);
  const follower = c.members.find((m) => m !== leader)!;
  const lc = new Client({ endpoints: [leader.endpoint] });
  const fc = new Client({ endpoints: [follower.endpoint] });
  t.after(() => Promise.all([lc.close(), fc.close()]));

  const watcher = fc.watch('ws/', { prefix: true });
  const seen: Array<{ key: string; rev: number }> = [];
  let disconnects = 0;
  let compacted: number | undefined;
  watcher.on('disconnected', () => disconnects++);
  watcher.on('error', (err: Error) => {
    if (err instanceof WatchCompactedError) compacted = err.compactRevision;
  });
  watcher.on('response', (r: { events: Array<{ kv?: { key: Uint8Array; modRevision: number | bigint } }>; compactRevision: number }) => {
    for (const ev of r.events) seen.push({ key: Buffer.from(ev.kv!.key).toString(), rev: Number(ev.kv!.modRevision) });
    if (r.compactRevision) compacted ??= r.compactRevision;
  });
  await sleep(200);
  await putMany(lc, 'ws/live/', 5);
  await until('live events', 5000, () => seen.length === 5);

  // Paused past the catch-up window: it comes back through a snapshot, the watch stays open.
  assert.ok(follower.signal('SIGSTOP'));
  await putMany(lc, 'ws/behind/', BEHIND);
  await sleep(600); // the leader's backend commits and releases its log
  assert.ok(follower.signal('SIGCONT'));
  await until('the events written while paused', 20_000, () => seen.length >= 5 + BEHIND);
  assert.match(follower.logs(), /applied snapshot/);
  assert.equal(seen.length, 5 + BEHIND);
  assert.equal(disconnects, 0, 'the watch stream stayed up');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.rev > seen[i - 1]!.rev, 'revisions increase');
  const keys = new Set(seen.map((e) => e.key));
  for (let i = 0; i < BEHIND; i++) assert.ok(keys.has(`ws/behind/${i}`), `ws/behind/${i} delivered`);

  // Paused again while the leader compacts past what the watcher was sent: it is told so.
  const snapshotsBefore = follower.logs().split('applied snapshot').length;
  assert.ok(follower.signal('SIGSTOP'));
  await putMany(lc, 'ws/gone/', BEHIND);
  const { header } = await lc.put('ws/mark', 'x');
  const compactRev = Number(header!.revision);
  await lc.kv.compact(compactRev);
  await putMany(lc, 'ws/after/', 300);
  await sleep(600);
  assert.ok(follower.signal('SIGCONT'));
  await until('the compaction cancel', 20_000, () => compacted !== undefined);
  assert.ok(follower.logs().split('applied snapshot').length > snapshotsBefore, 'a second snapshot was installed');
  assert.equal(compacted, compactRev);
  // What arrived before the cancel (appends already in flight when it paused) is an
  // unbroken run of the writes that followed, all below the compaction.
  const tail = seen.slice(5 + BEHIND);
  assert.ok(tail.length < BEHIND, `the cancel came before everything (${tail.length} events)`);
  tail.forEach((e, i) => {
    assert.equal(e.key, `ws/gone/${i}`);
    assert.ok(e.rev < compactRev);
  });
});
