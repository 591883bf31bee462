// The short robustness campaign CI runs on every change: a few histories of
// Kubernetes-like and lease traffic on 1, 3 and 5 members, with data dirs on lossyfs
// and pauses armed in every core, under failpoint crashes inside the core (after the
// WAL write, before the backend commit), kill -9 with unsynced writes dropped, and a
// member blackholed (of 3, and of 5). Every history must pass every check
// (linearizability, watch properties, acknowledged writes present, one HashKV), and
// every armed failpoint must have fired. The soak runs the same code: npm run robustness -- --histories N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaign, parseArgs, plan, replayCommand, type Args, type CampaignResult } from './runner.js';
import { FAILPOINT_FAULTS, selectFaults, trigger, type Trigger } from './faults.js';
import { RobustCluster } from './cluster.js';
import { Random } from '../chaos/random.js';
import { selectProfiles } from './traffic/index.js';
import { summaryTables } from './summary.js';

const SEED = 4200;

function args(over: Partial<Args>): Args {
  return { ...parseArgs(['--seed', String(SEED)]), ...over };
}

function assertClean(r: CampaignResult, histories: number): void {
  const t = r.total;
  assert.deepEqual(r.failures, [], r.failures.join('\n'));
  assert.equal(t.histories, histories);
  assert.equal(t.failed, 0);
  assert.equal(t.inconclusive, 0, 'a linearizability check ran out of time');
  assert.equal(t.untriggered, 0, 'an armed failpoint was never reached');
  // A crashed member answers nothing while it restarts: a history can be mostly unknowns, never empty.
  assert.ok(t.requests >= 20 * histories, `only ${t.requests} requests`);
  assert.ok(t.ackedWrites >= histories, `only ${t.ackedWrites} acknowledged writes`);
  assert.ok(t.linearized > 0 && t.checked > 0, 'no operation was checked');
  assert.ok(t.watchEvents > 0 && t.watchStreams > 0, 'no watch event was validated');
}

test('1 member on lossyfs: crashes after the WAL write and kill -9 lose only unsynced writes', { timeout: 300_000 }, async (t) => {
  const r = await campaign(args({ histories: 2, members: [1], profile: 'kubernetes', failpoints: 'raftAfterSave,kill', crashShare: 1, edgeThreads: 1 }), (l) => t.diagnostic(l));
  assertClean(r, 2);
  // Both faults crash the member: each crash drops its unsynced writes.
  assert.ok(r.drops >= 2, `unsynced writes dropped ${r.drops} times`);
});

test('3 members on lossyfs: a crash before the backend commit and a blackholed member, under Kubernetes and lease traffic', { timeout: 300_000 }, async (t) => {
  const r = await campaign(args({ histories: 4, members: [3], profile: 'kubernetes,leases', failpoints: 'beforeCommit,blackhole', crashShare: 1 }), (l) => t.diagnostic(l));
  assertClean(r, 4);
  assert.deepEqual([...r.byCell.keys()].sort(), ['3 member(s) kubernetes beforeCommit', '3 member(s) kubernetes blackhole', '3 member(s) leases beforeCommit', '3 member(s) leases blackhole']);
  assert.ok(r.drops >= 1, `unsynced writes dropped ${r.drops} times`);
});

test('5 members on lossyfs: a member blackholed under Kubernetes traffic', { timeout: 120_000 }, async (t) => {
  const started = Date.now();
  // This seed holds the blackhole about 1.1 s (of 0.3 to 1.2), so even a loaded machine's history has traffic to check.
  const r = await campaign(args({ seed: 4212, histories: 1, members: [5], profile: 'kubernetes', failpoints: 'blackhole' }), (l) => t.diagnostic(l));
  assertClean(r, 1);
  assert.deepEqual([...r.byCell.keys()], ['5 member(s) kubernetes blackhole']);
  for (const line of summaryTables(r.cells.values())) t.diagnostic(line);
  t.diagnostic(`5-member campaign: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test('the replay command a failing history prints runs that history again: same seed, cluster size, profile and fault', () => {
  const a = args({ histories: 40, members: [1, 3, 5], profile: 'all', failpoints: 'all', lossy: false, pauses: false, edgeThreads: 2 });
  const profiles = selectProfiles(a.profile);
  const faults = selectFaults(a.failpoints);
  for (const i of [0, 7, 19, 33]) {
    const p = plan(i, a.histories, a.members, profiles, faults, a.crashShare);
    const cmd = replayCommand(a.seed + i, p.size, p.profile, p.fault, a);
    const argv = cmd.split(' ');
    assert.deepEqual(argv.slice(0, 4), ['npm', 'run', 'robustness', '--']);
    const b = parseArgs(argv.slice(4));
    assert.equal(b.seed, a.seed + i);
    assert.equal(b.histories, 1);
    assert.deepEqual([b.lossy, b.pauses, b.edgeThreads, b.rate], [a.lossy, a.pauses, a.edgeThreads, a.rate]);
    const q = plan(0, 1, b.members, selectProfiles(b.profile), selectFaults(b.failpoints), b.crashShare);
    assert.deepEqual([q.size, q.profile.name, q.fault.name], [p.size, p.profile.name, p.fault.name]);
  }
});

test('every failpoint off the hot path is reached by its trigger, the member restarted first as a history restarts it to arm one', { timeout: 120_000 }, async (t) => {
  // Conf-change apply points, defrag, compaction, lease revoke, snapshot send and install.
  const rare = FAILPOINT_FAULTS.filter((f) => f.trigger !== undefined && f.trigger !== 'traffic');
  const points = [...new Set(rare.map((f) => f.point!))];
  const triggers = [...new Set(rare.map((f) => f.trigger!))];
  assert.deepEqual([...triggers].sort(), ['compact', 'defrag', 'membership', 'revoke', 'snapshot']);
  // Armed to note each hit (a 1 ms sleep) on every member, instead of crashing it.
  const cluster = await RobustCluster.start({ size: 3, lossy: false, edgeThreads: 0, baseFailpoints: points.map((p) => `${p}=sleep(1)`).join(';') });
  try {
    const from = cluster.c.members.map((m) => m.logs().length);
    const noted = (p: string) => cluster.c.members.some((m, i) => m.logs().slice(from[i]).includes(`failpoint ${p}: sleep 1ms`));
    let rev = 1;
    for (const how of triggers as Trigger[]) {
      const m = how === 'snapshot' ? 1 : 0;
      // A history restarts the member to arm its point: calls right after find its client channel
      // reconnecting, and a member add is refused for 5 s after a peer link comes back. Notes
      // start afresh for it, since its log replay at start may pass the same points.
      if (how === 'membership' || how === 'defrag') {
        await cluster.restartWith(m);
        from[m] = cluster.c.members[m]!.logs().length;
      }
      const conn = cluster.conn(m);
      rev = Number((await conn.status({}, 5000).catch(() => ({ header: { revision: rev } }))).header.revision);
      conn.close();
      await trigger({ cluster, rnd: new Random(SEED), prefix: `/reach/${how}/`, safeCompactRevision: () => rev }, m, how);
      const missed = rare.filter((f) => f.trigger === how && !noted(f.point!)).map((f) => f.point);
      assert.deepEqual(missed, [], `the ${how} trigger did not reach them`);
      t.diagnostic(`${how}: reached ${[...new Set(rare.filter((f) => f.trigger === how).map((f) => f.point))].join(', ')}`);
    }
  } finally {
    await cluster.close();
  }
});
