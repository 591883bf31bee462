// Serializable reads on a follower while it installs a leader's snapshot: the
// backend is replaced a batch at a time, so reads wait for the whole install and
// always see one consistent state (the old or the new), never a half-replaced one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderOf, startCluster } from '../helpers/cluster.js';
import { grpcKv, type Msg } from '../helpers/grpc.js';

const BEFORE = 30_000;
/** Single puts past the leader's in-flight window, so the follower needs a snapshot. */
const BEHIND = 900;
const PER_TXN = 128;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pre = (i: number) => `pre/${String(i).padStart(6, '0')}`;

test('a follower installing a snapshot answers serializable reads from one consistent state', { timeout: 90_000 }, async (t) => {
  const c = await startCluster(3, { extraArgs: ['--snapshot-count', '100'] });
  t.after(() => c.close());
  const leader = await leaderOf(c);
  const follower = c.members.find((m) => m !== leader)!;
  const lc = grpcKv(leader.endpoint);
  const fc = grpcKv(follower.endpoint);
  t.after(() => {
    lc.close();
    fc.close();
  });
  for (let i = 0; i < BEFORE; i += PER_TXN) {
    const success: Msg[] = [];
    for (let j = i; j < Math.min(BEFORE, i + PER_TXN); j++) success.push({ requestPut: { key: Buffer.from(pre(j)), value: Buffer.from(`v${j}`) } });
    await lc.kv.txn({ success });
  }
  const probes = [0, Math.floor(BEFORE / 2), BEFORE - 1];
  const until = Date.now() + 20_000;
  while ((await fc.kv.range({ key: Buffer.from(pre(BEFORE - 1)), serializable: true })).kvs.length === 0) {
    assert.ok(Date.now() < until, 'the follower caught up before the pause');
    await sleep(50);
  }

  assert.ok(follower.signal('SIGSTOP'));
  for (let i = 0; i < BEHIND; i++) await lc.kv.put({ key: Buffer.from(`post/${i}`), value: Buffer.from('x') });
  await sleep(600); // the leader's backend commits and releases its log
  const snapshotsBefore = follower.logs().split('applied snapshot').length;
  assert.ok(follower.signal('SIGCONT'));

  // Poll until the follower has everything; every answer must be whole.
  let lastPost = -1;
  let polls = 0;
  const deadline = Date.now() + 30_000;
  while (lastPost < BEHIND) {
    assert.ok(Date.now() < deadline, `follower caught up (post/ count ${lastPost})`);
    for (const i of probes) {
      const r = await fc.kv.range({ key: Buffer.from(pre(i)), serializable: true });
      assert.equal(r.kvs.length, 1, `${pre(i)} present in every answer`);
      assert.equal(r.kvs[0].value.toString(), `v${i}`);
    }
    const post = await fc.kv.range({ key: Buffer.from('post/'), rangeEnd: Buffer.from('post0'), serializable: true, countOnly: true });
    const n = Number(post.count);
    assert.ok(n >= lastPost, `post/ count never goes back: ${lastPost} -> ${n}`);
    lastPost = n;
    polls++;
  }
  assert.ok(follower.logs().split('applied snapshot').length > snapshotsBefore, 'the follower installed a snapshot');
  t.diagnostic(`${polls} polls while the follower caught up`);
});
