// A cluster whose members are real etcd 3.4 processes, etcd-ts processes, or both, run
// through membership changes the way an operator runs them: the real etcdctl's member
// add --learner, member promote, member remove and move-leader.
import assert from 'node:assert/strict';
import { ClusterMember } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { Client } from '../../src/client/index.js';

export type Kind = 'etcd' | 'etcd-ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Flags every member gets, whatever its kind. */
export interface MixedOptions {
  /** Raft entries between snapshots; small values make leaders compact their logs. */
  snapshotCount: number;
  /** https needs the --peer-* TLS flags in extraArgs. */
  peerScheme?: 'http' | 'https';
  extraArgs?: string[];
}

export interface MixedMember extends ClusterMember {
  /** The member ID in hex, as etcdctl prints it. */
  id: string;
}

export class MixedCluster {
  /** Every member ever started, removed ones included. */
  readonly members: MixedMember[] = [];
  private readonly removed = new Set<MixedMember>();
  private readonly learners = new Set<MixedMember>();
  readonly dir: TmpDir = tmpDir('mixed');
  clusterId = '';

  private constructor(private readonly opts: MixedOptions) {}

  /**
   * etcd-ts members run as etcd 3.4.23 (--emulated-etcd-version): beside 3.4 members they
   * must write what 3.4 reads, and keep the cluster version at 3.4 so 3.4 members can join.
   */
  private flags(kind: Kind): string[] {
    return ['--snapshot-count', String(this.opts.snapshotCount), ...(kind === 'etcd-ts' ? ['--emulated-etcd-version', '3.4.23'] : []), ...(this.opts.extraArgs ?? [])];
  }

  private get scheme(): 'http' | 'https' {
    return this.opts.peerScheme ?? 'http';
  }

  private async newMember(kind: Kind, name: string, initialCluster: string, state: 'new' | 'existing', client?: number, peer?: number): Promise<MixedMember> {
    const m = new ClusterMember(name, client ?? (await freePort()), peer ?? (await freePort()), this.dir.path, { name, initialCluster, state, kind, extraArgs: this.flags(kind), peerScheme: this.scheme }) as MixedMember;
    m.id = '';
    this.members.push(m);
    return m;
  }

  /** A new cluster of `kinds.length` members named `${prefix}1`…, started together. */
  static async start(kinds: Kind[], prefix: string, opts: MixedOptions): Promise<MixedCluster> {
    const c = new MixedCluster(opts);
    try {
      const ports: Array<[number, number]> = [];
      for (let i = 0; i < kinds.length; i++) ports.push([await freePort(), await freePort()]);
      const initial = ports.map(([, p], i) => `${prefix}${i + 1}=${c.scheme}://127.0.0.1:${p}`).join(',');
      for (let i = 0; i < kinds.length; i++) await c.newMember(kinds[i]!, `${prefix}${i + 1}`, initial, 'new', ports[i]![0], ports[i]![1]);
      for (const m of c.members) m.spawn();
      await Promise.all(c.members.map((m) => m.ready(60_000)));
      const list = await c.memberList();
      for (const m of c.members) m.id = list.find((x) => x.peerUrl === m.peerUrl)!.id;
      c.clusterId = list[0]!.clusterId;
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** Members that are running and still in the cluster. */
  live(): MixedMember[] {
    return this.members.filter((m) => m.running && !this.removed.has(m));
  }

  endpoints(): string[] {
    return this.live().map((m) => m.endpoint);
  }

  /** Live members with a vote: the ones clients are pointed at (a learner serves almost nothing). */
  voters(): MixedMember[] {
    return this.live().filter((m) => !this.learners.has(m));
  }

  /** The member list as one live member reports it, with the cluster ID of its header. */
  async memberList(via?: MixedMember): Promise<Array<{ id: string; name: string; peerUrl: string; isLearner: boolean; clusterId: string }>> {
    const target = via ?? this.live()[0]!;
    const r = await etcdctl(target.endpoint, ['member', 'list', '-w', 'json']);
    assert.equal(r.code, 0, r.stderr);
    // etcdctl prints IDs as JSON numbers beyond 2^53: keep their digits.
    const o = JSON.parse(r.stdout.replace(/"(ID|cluster_id|member_id)":(\d+)/g, '"$1":"$2"')) as {
      header: { cluster_id: string };
      members: Array<{ ID: string; name?: string; peerURLs: string[]; isLearner?: boolean }>;
    };
    const hex = (d: string) => BigInt(d).toString(16);
    return o.members.map((m) => ({ id: hex(m.ID), name: m.name ?? '', peerUrl: m.peerURLs[0]!, isLearner: !!m.isLearner, clusterId: hex(o.header.cluster_id) }));
  }

  /**
   * The cluster's revision, read linearizably: it counts every write acknowledged before
   * the call, whichever voter answers (a member's own status may still lag behind them).
   */
  async revision(): Promise<number> {
    const cl = new Client({ endpoints: this.voters().map((m) => m.endpoint) });
    try {
      return Number((await cl.get('/', { timeoutMs: 5000 })).header!.revision);
    } finally {
      await cl.close();
    }
  }

  /** Status of one member: its view of the leader, its applied index and revision. */
  async status(m: MixedMember): Promise<{ leader: string; applied: number; revision: number; isLearner: boolean; clusterId: string }> {
    const cl = new Client({ endpoints: [m.endpoint] });
    try {
      const st = await cl.maintenance.status({ timeoutMs: 3000 });
      return { leader: st.leader.toString(16), applied: Number(st.raftAppliedIndex), revision: Number(st.header!.revision), isLearner: !!st.isLearner, clusterId: st.header!.clusterId.toString(16) };
    } finally {
      await cl.close();
    }
  }

  async leader(timeoutMs = 20_000): Promise<MixedMember> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of this.live()) {
        try {
          const st = await this.status(m);
          const l = this.live().find((x) => x.id === st.leader);
          if (l) return l;
        } catch {
          // ask another
        }
      }
      if (Date.now() > deadline) throw new Error('no leader among live members');
      await sleep(100);
    }
  }

  /** etcdctl member add --learner, then the new member started with the settings it printed. */
  async addLearner(kind: Kind, name: string, opts: { waitReady?: boolean } = {}): Promise<MixedMember> {
    const peer = await freePort();
    const peerUrl = `${this.scheme}://127.0.0.1:${peer}`;
    // A try that timed out may still have added the member: the next one then finds its peer URL taken.
    const add = await retry(
      () => etcdctl(this.voters().map((x) => x.endpoint), ['member', 'add', name, `--peer-urls=${peerUrl}`, '--learner']),
      (r) => r.code === 0 || /Peer URLs already exists/.test(r.stderr),
      30_000,
    );
    // etcdctl pads the hex ID to 16 columns with spaces.
    let id = /Member\s+([0-9a-f]+) added/.exec(add.stdout)?.[1];
    let initial = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)?.[1];
    if (add.code !== 0) {
      // What etcdctl would have printed: every member's name=peer URL, the new one under its name.
      const list = await this.memberList(this.voters()[0]);
      id = list.find((m) => m.peerUrl === peerUrl)?.id;
      initial = list.map((m) => `${m.peerUrl === peerUrl ? name : m.name}=${m.peerUrl}`).join(',');
    }
    assert.ok(id && initial, add.stdout + add.stderr);
    const m = await this.newMember(kind, name, initial, 'existing', undefined, peer);
    m.id = id;
    this.learners.add(m);
    m.spawn();
    if (opts.waitReady ?? true) await m.ready(60_000);
    return m;
  }

  /** Waits until `m` has applied as far as the leader has. */
  async caughtUp(m: MixedMember, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const [mine, lead] = await Promise.all([this.status(m), this.leader().then((l) => this.status(l))]);
        if (mine.applied >= lead.applied) return;
      } catch {
        // not answering yet
      }
      if (Date.now() > deadline) throw new Error(`${m.name} did not catch up within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** etcdctl member promote, again while the learner is not yet in sync. */
  async promote(m: MixedMember): Promise<void> {
    const r = await retry(() => etcdctl(this.voters().map((x) => x.endpoint), ['member', 'promote', m.id]), (x) => x.code === 0 || !/in sync with leader|timed out|leader changed|no leader|deadline/.test(x.stderr), 60_000);
    assert.equal(r.code, 0, r.stderr);
    this.learners.delete(m);
  }

  /** etcdctl member remove; the removed member stops itself. */
  async remove(m: MixedMember): Promise<void> {
    const others = this.voters().filter((x) => x !== m);
    const r = await retry(() => etcdctl(others.map((x) => x.endpoint), ['member', 'remove', m.id]), (x) => x.code === 0 || /member not found/.test(x.stderr), 30_000);
    assert.ok(r.code === 0 || /member not found/.test(r.stderr), r.stderr);
    this.removed.add(m);
    // etcd stops a removed member once it learns of its removal; a member cut off before
    // it heard may wait to be told: it is stopped here either way.
    if (!(await m.waitExit(15_000))) await m.stop();
  }

  /** etcdctl move-leader, asked of the current leader. */
  async moveLeader(to: MixedMember): Promise<void> {
    const r = await retry(
      async () => etcdctl((await this.leader()).endpoint, ['move-leader', to.id]),
      (x) => x.code === 0,
      30_000,
    );
    assert.match(r.stdout, /Leadership transferred/);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    this.dir.cleanup();
  }
}

/** Runs `f` until `ok` accepts its result or the time is up; returns the last result. */
export async function retry<T>(f: () => Promise<T>, ok: (r: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await f();
    if (ok(r) || Date.now() > deadline) return r;
    await sleep(200);
  }
}
