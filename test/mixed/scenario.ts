// What the mixed-cluster tests share: swapping every member of one kind for a new one of
// another (learner, catch-up from a snapshot, promote, remove), and a run under load
// whose end is checked the same way each time.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { MixedCluster, Kind, MixedMember } from './harness.js';
import { checkWatch, MigrationLoad, ResumingWatcher, unexpectedFailures, writePauses } from './load.js';
import { verify } from '../chaos/verify.js';
import { ackedWrites } from '../chaos/workload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fewer acknowledged writes than this and a history proves little about losing none. */
const MIN_ACKED_WRITES = 200;

export interface Swap {
  added: string;
  removed: string;
  ms: number;
  catchUpMs: number;
}

/**
 * Replaces every member of `olds` by a new member of `kind`, one at a time; on the
 * first swap leadership goes to the newcomer and back to a member of the old kind.
 */
export async function replaceAll(c: MixedCluster, olds: MixedMember[], kind: Kind, prefix: string, swaps: Swap[]): Promise<MixedMember[]> {
  const news: MixedMember[] = [];
  for (let i = 0; i < olds.length; i++) {
    const started = performance.now();
    const m = await c.addLearner(kind, `${prefix}${i + 1}`);
    await c.caughtUp(m);
    const caught = performance.now();
    // The leader's log was compacted long before: the newcomer started from its snapshot.
    assert.match(m.logs(), /received and saved database snapshot/, `${m.name} did not receive a snapshot`);
    await c.promote(m);
    if (i === 0) {
      await c.moveLeader(m);
      assert.equal((await c.leader()).name, m.name);
      const back = olds.find((o) => o !== olds[0])!;
      await c.moveLeader(back);
      assert.equal((await c.leader()).name, back.name);
    }
    await c.remove(olds[i]!);
    swaps.push({ added: `${m.name} (${kind})`, removed: olds[i]!.name, ms: Math.round(performance.now() - started), catchUpMs: Math.round(caught - started) });
    news.push(m);
  }
  return news;
}

/** Clients and watchers on the cluster's voters from `startRevision` on, and the checks at the end. */
export class LoadedRun {
  readonly load: MigrationLoad;
  readonly watchers: ResumingWatcher[];
  private readonly clusterIds = new Set<string>();
  private readonly sampler: NodeJS.Timeout;

  constructor(
    private readonly c: MixedCluster,
    private readonly startRevision: number,
    seed: number,
    t: TestContext,
  ) {
    const voters = () => c.voters().map((m) => m.endpoint);
    this.load = new MigrationLoad(voters, { clients: 6, keys: 12, seed, thinkMs: 20 }, (ep) => c.members.find((m) => m.endpoint === ep)?.kind ?? 'unknown');
    this.load.start();
    this.watchers = [0, 1].map((i) => new ResumingWatcher(voters, startRevision + 1, i));
    this.sampler = setInterval(() => {
      for (const m of c.voters()) void c.status(m).then((s) => this.clusterIds.add(s.clusterId), () => undefined);
    }, 1000);
    // Nothing keeps calling a cluster that is being closed, whatever the test's outcome.
    t.after(() => this.stop());
  }

  private async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.load.stop();
    await Promise.all(this.watchers.map((w) => w.stop()));
  }

  /**
   * Stops the load and checks: a linearizable history with no acknowledged write lost,
   * HashKV equal on every member at one revision, watchers that saw every revision
   * once and in order, only retryable client errors, one cluster ID throughout.
   */
  async finish(t: TestContext, notes: string[] = []): Promise<void> {
    // A slow machine gets through the scenario's steps with fewer writes; the load goes on
    // (30 s at most) until the history holds enough of them to say something.
    const deadline = Date.now() + 30_000;
    while (ackedWrites(this.load.recorder.history()).length <= MIN_ACKED_WRITES && Date.now() < deadline) await sleep(250);
    const history = await this.load.stop();
    clearInterval(this.sampler);
    const result = await verify(this.c.live(), history, { checkTimeoutMs: 60_000, convergeTimeoutMs: 30_000 }).catch((err: unknown) => {
      // Members that did not converge: their last words say why.
      const tails = this.c.live().map((m) => {
        const lines = m.logs().split('\n');
        const raft = lines.filter((l) => /"level":"(warn|error)"|leader|snapshot|membership/.test(l)).slice(-40);
        return `--- ${m.name} (${m.kind}), warnings and Raft events:\n${raft.join('\n')}\n--- ${m.name}, last lines:\n${lines.slice(-15).join('\n')}`;
      });
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails.join('\n')}`);
    });
    const watchDeadline = Date.now() + 30_000;
    while (this.watchers.some((w) => w.lastRevision < result.convergedRevision) && Date.now() < watchDeadline) await sleep(100);
    await Promise.all(this.watchers.map((w) => w.stop()));
    const watchProblems = this.watchers.flatMap((w, i) => checkWatch(w, this.startRevision, result.convergedRevision, history).map((p) => `watcher ${i}: ${p}`));
    const pauses = writePauses(history);
    const reasons = this.load.failuresByKind;
    for (const n of notes) t.diagnostic(n);
    t.diagnostic(`operations ${result.operations}, acknowledged writes ${result.ackedWrites}, failed calls ${this.load.recorder.failed()} (${[...reasons].map(([r, n]) => `${n}× ${r}`).join(', ')})`);
    t.diagnostic(`longest stretch without an acknowledged write ${pauses.longestGapMs} ms, slowest acknowledged write ${pauses.slowestWriteMs} ms, watch resumes ${this.watchers.map((w) => w.resumes).join('/')}`);

    assert.deepEqual(result.problems, []);
    assert.equal(result.verdict, 'ok');
    assert.ok(result.ackedWrites > MIN_ACKED_WRITES, `only ${result.ackedWrites} acknowledged writes`);
    assert.deepEqual(watchProblems, []);
    assert.deepEqual(unexpectedFailures(this.load.failuresByKind), []);
    assert.deepEqual([...this.clusterIds], [this.c.clusterId]);
  }
}
