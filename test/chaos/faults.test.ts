// Network and process faults on a 3-member cluster behind fault-injecting peer
// proxies, with clients on every member recording a history of puts, reads and
// compare-and-swaps. After each scenario heals: the history is linearizable, every
// acknowledged write is on every member, and the members converge to one HashKV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxiedCluster, type ProxiedCluster } from './proxied-cluster.js';
import { Workload } from './workload.js';
import { verify } from './verify.js';
import { applyFault, others } from './schedule.js';
import { grpcKv } from '../helpers/grpc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let c: ProxiedCluster;
before(async () => {
  c = await startProxiedCluster(3);
});
after(async () => {
  await c?.close();
});

async function waitLeader(not: number | undefined, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    const l = await c.leader(500);
    if (l >= 0 && l !== not) return l;
    await sleep(100);
  }
  throw new Error(`no leader other than ${not} within ${timeoutMs} ms`);
}

/** Runs `body` under a workload on keys of its own; then heals and verifies. */
async function scenario(t: { diagnostic(s: string): void }, name: string, body: (w: Workload) => Promise<void>): Promise<void> {
  await waitLeader(undefined, 10_000);
  const w = new Workload({ endpoints: c.members.map((m) => m.endpoint), keys: [0, 1, 2].map((k) => `${name}/k${k}`), clients: 6, seed: name.length });
  w.start();
  let failed = true;
  try {
    await sleep(500);
    await body(w);
    failed = false;
  } finally {
    c.heal();
    // A failed scenario still stops its clients: left running, they keep the file's process alive.
    if (failed) await w.stop().catch(() => undefined);
  }
  await sleep(1000);
  const history = await w.stop();
  const v = await verify(c.members, history);
  t.diagnostic(`${name}: ${v.operations} operations (${w.stats().failed} unknown), ${v.ackedWrites} acknowledged writes, checked ${v.verdict} in ${v.checkMs.toFixed(0)} ms, converged at revision ${v.convergedRevision}`);
  assert.deepEqual(v.problems, []);
  assert.equal(v.verdict, 'ok');
}

/** Acknowledged writes so far. */
const acked = (w: Workload) => w.stats().ackedWrites;

test('leader isolated from the majority: a new leader; the old one serves no linearizable read and acknowledges no write', async (t) => {
  await scenario(t, 'isolated-leader', async (w) => {
    const old = await waitLeader(undefined, 5000);
    c.partition([old], others(3, [old]));
    const cutAt = Date.now();
    const direct = grpcKv(c.members[old]!.endpoint);
    try {
      const [put, get] = await Promise.allSettled([
        direct.kv.put({ key: Buffer.from('isolated-leader/direct'), value: Buffer.from('x') }, { timeoutMs: 1500 }),
        direct.kv.range({ key: Buffer.from('isolated-leader/k0') }, { timeoutMs: 1500 }),
      ]);
      assert.equal(put.status, 'rejected', 'the isolated leader acknowledged a write');
      assert.equal(get.status, 'rejected', 'the isolated leader served a linearizable read');
    } finally {
      direct.close();
    }
    const leader = await waitLeader(old, 10_000);
    t.diagnostic(`new leader m${leader + 1} after isolating m${old + 1}: ${Date.now() - cutAt} ms`);
    const before = acked(w);
    await sleep(1500);
    assert.ok(acked(w) > before, 'the majority acknowledged writes while the old leader was cut off');
  });
});

test('minority partition: the majority keeps serving, the cut-off follower serves no linearizable read', async (t) => {
  await scenario(t, 'minority', async (w) => {
    const leader = await waitLeader(undefined, 5000);
    const follower = others(3, [leader])[0]!;
    c.partition([follower], others(3, [follower]));
    const before = acked(w);
    await sleep(2000);
    assert.ok(acked(w) > before, 'the majority acknowledged writes during the partition');
    const direct = grpcKv(c.members[follower]!.endpoint);
    try {
      await assert.rejects(direct.kv.range({ key: Buffer.from('minority/k0') }, { timeoutMs: 1000 }));
    } finally {
      direct.close();
    }
  });
});

test('one-way partition: the leader cannot reach a follower, the follower still reaches the leader', async (t) => {
  await scenario(t, 'one-way', async () => {
    const leader = await waitLeader(undefined, 5000);
    const follower = others(3, [leader])[0]!;
    c.link(leader, follower, { kind: 'drop' });
    await sleep(2500);
    assert.ok(c.proxies[follower]!.stats.droppedBytes > 0, 'the proxy dropped the leader\'s messages');
  });
});

test('slow links: every link of the leader delayed by 100 ms, writes still commit', async (t) => {
  await scenario(t, 'slow', async (w) => {
    const leader = await waitLeader(undefined, 5000);
    for (const o of others(3, [leader])) {
      c.link(leader, o, { kind: 'delay', ms: 100 });
      c.link(o, leader, { kind: 'delay', ms: 100 });
    }
    const before = acked(w);
    const delayedBefore = c.proxies.reduce((n, p) => n + p.stats.delayedChunks, 0);
    await sleep(2500);
    assert.ok(acked(w) > before, 'writes were acknowledged over slow links');
    assert.ok(c.proxies.reduce((n, p) => n + p.stats.delayedChunks, 0) > delayedBefore, 'the proxies delayed traffic');
  });
});

test('SIGSTOP of the leader: a new leader; on SIGCONT the old one serves no stale linearizable read', async (t) => {
  await scenario(t, 'paused-leader', async () => {
    const old = await waitLeader(undefined, 5000);
    c.pause(old);
    const leader = await waitLeader(old, 10_000);
    // A write the paused leader cannot know about…
    const fresh = grpcKv(c.members[leader]!.endpoint);
    const stale = grpcKv(c.members[old]!.endpoint);
    try {
      await fresh.kv.put({ key: Buffer.from('paused-leader/probe'), value: Buffer.from('new') }, { timeoutMs: 3000 });
      // …then a read sent to it while it sleeps, answered as it wakes.
      const read = stale.kv.range({ key: Buffer.from('paused-leader/probe') }, { timeoutMs: 3000 });
      await sleep(300);
      c.resume(old);
      try {
        const res = await read;
        assert.equal((res.kvs?.[0]?.value as Buffer | undefined)?.toString(), 'new', 'the woken leader served a stale read');
      } catch (err) {
        // Refusing is allowed; a stale answer is not.
        t.diagnostic(`read on the woken leader refused: ${(err as Error).message}`);
      }
    } finally {
      fresh.close();
      stale.close();
    }
  });
});

test('the checks bite: serializable reads from a cut-off follower are caught as stale', async (t) => {
  await waitLeader(undefined, 10_000);
  const leader = await waitLeader(undefined, 5000);
  const follower = others(3, [leader])[0]!;
  const w = new Workload({
    endpoints: [c.members[leader]!.endpoint, c.members[follower]!.endpoint],
    keys: ['stale/k0'],
    clients: 4,
    seed: 7,
    serializableReads: true,
  });
  w.start();
  try {
    await sleep(300);
    c.partition([follower], others(3, [follower]));
    await sleep(1500);
  } finally {
    c.heal();
  }
  await sleep(500);
  const v = await verify(c.members, await w.stop());
  t.diagnostic(`stale: ${v.operations} operations, verdict ${v.verdict}, ${v.problems.length} problems`);
  assert.equal(v.verdict, 'illegal', 'stale reads from the cut-off follower went unnoticed');
  // The store itself is intact: nothing was lost and the members agree.
  assert.ok(v.problems.every((p) => !p.startsWith('lost write')), v.problems.join('\n'));
});

test('kill -9 of the leader, its peer port refusing: the survivors stop waiting out its lease, elect, and the history stays linearizable', async (t) => {
  await scenario(t, 'crashed-leader', async (w) => {
    const old = await waitLeader(undefined, 5000);
    const crash = await applyFault(c, { kind: 'crash', member: old });
    const killedAt = Date.now();
    try {
      const leader = await waitLeader(old, 10_000);
      t.diagnostic(`new leader m${leader + 1} ${Date.now() - killedAt} ms after kill -9 of m${old + 1}`);
      const noticed = c.members.filter((m, i) => i !== old && m.logs().includes('leader refused the connection'));
      assert.ok(noticed.length >= 1, 'a survivor reported the refused leader connection');
      // Clients of the killed member fail over with their retry backoff: writes resume
      // within a few seconds of the election.
      const before = acked(w);
      for (const until = Date.now() + 5000; acked(w) <= before && Date.now() < until; ) await sleep(100);
      assert.ok(acked(w) > before, 'writes were acknowledged under the new leader');
    } finally {
      await crash.undo?.();
    }
  });
});
