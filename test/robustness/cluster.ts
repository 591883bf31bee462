// The cluster the robustness histories run on: 1, 3 or 5 members behind the chaos
// peer proxies (so links can be faulted), each member's data dir optionally on
// lossyfs (a crash then loses what was not synced), members restartable with
// failpoints armed, replaceable (removed, wiped, added back) and their leadership
// movable.
import { rmSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { startProxiedCluster, type ProxiedCluster } from '../chaos/proxied-cluster.js';
import { LossyMount } from './lossyfs/lossyfs.js';
import { connect, type Conn } from './conn.js';

export interface RobustClusterOptions {
  size: number;
  /** Data dirs on lossyfs. */
  lossy: boolean;
  /** Client connections on this many edge threads (0: on the core thread, which starts twice as fast). */
  edgeThreads: number;
  /** Failpoints every member runs with (random pauses in the core), on top of a history's own. */
  baseFailpoints?: string;
}

/** etcd-ts flags for the robustness runs: small snapshot count, so followers get snapshots often. */
const MEMBER_FLAGS = ['--snapshot-count', '200'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RobustCluster {
  private constructor(
    readonly c: ProxiedCluster,
    readonly mounts: LossyMount[],
    private readonly baseFailpoints: string,
  ) {}

  static async start(o: RobustClusterOptions): Promise<RobustCluster> {
    const mounts: LossyMount[] = [];
    const base = o.baseFailpoints ?? '';
    const c = await startProxiedCluster(o.size, {
      extraArgs: [...MEMBER_FLAGS, '--edge-threads', String(o.edgeThreads)],
      beforeSpawn: async (members) => {
        if (base) for (const m of members) m.opts = { ...m.opts, env: { ETCD_TS_FAILPOINTS: base } };
        if (!o.lossy) return;
        for (const m of members) {
          const mount = new LossyMount(join(dirname(m.dataDir), `${m.name}.backing`), m.dataDir);
          await mount.mount();
          mounts.push(mount);
        }
      },
      beforeCleanup: async () => {
        for (const m of mounts) await m.unmount();
      },
    });
    return new RobustCluster(c, mounts, base);
  }

  get size(): number {
    return this.c.members.length;
  }

  endpoints(): string[] {
    return this.c.members.map((m) => m.endpoint);
  }

  conn(i: number): Conn {
    return connect(this.c.members[i]!.endpoint);
  }

  /** Which member leads, asking the running ones; -1 when none says so. */
  leader(): Promise<number> {
    return this.c.leader(1000);
  }

  /** Waits for a leader among running members, up to `timeoutMs`. */
  async waitLeader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 500 && Date.now() < deadline; i++) {
      const l = await this.leader();
      if (l >= 0) return l;
      await sleep(100);
    }
    return -1;
  }

  /** kill -9; with lossyfs, what the member had not synced is lost. Its peer port refuses while it is down. */
  async crash(i: number): Promise<void> {
    const m = this.c.members[i]!;
    this.c.resume(i);
    await m.kill9();
    await this.c.proxies[i]!.refuse();
    await this.mounts[i]?.dropUnsynced();
  }

  /** After the member died on its own (a failpoint): drop unsynced data as for a crash. */
  async crashed(i: number): Promise<void> {
    await this.c.proxies[i]!.refuse();
    await this.mounts[i]?.dropUnsynced();
  }

  /** Starts a stopped or crashed member, with `failpoints` armed besides the cluster's, and waits until it serves. */
  async start(i: number, failpoints?: string): Promise<void> {
    const m = this.c.members[i]!;
    await m.stop();
    const spec = [this.baseFailpoints, failpoints ?? ''].filter(Boolean).join(';');
    m.opts = { ...m.opts, state: 'existing', env: spec ? { ETCD_TS_FAILPOINTS: spec } : {} };
    await this.c.proxies[i]!.admit();
    m.spawn();
    await m.ready(30_000);
  }

  /** Graceful restart with `failpoints` armed (nothing is lost: the member stops cleanly). */
  async restartWith(i: number, failpoints?: string): Promise<void> {
    await this.c.members[i]!.stop();
    await this.start(i, failpoints);
  }

  /**
   * Member replacement: removed from the cluster through another member, its data
   * dir wiped, added back under the same peer URL with a new ID, and started empty
   * to catch up from the leader.
   */
  async replace(i: number): Promise<string> {
    if (this.size < 2) throw new Error('replacing the only member would lose the cluster');
    const m = this.c.members[i]!;
    const via = connect(this.c.members[(i + 1) % this.size]!.endpoint);
    try {
      const id = this.c.ids[i]!;
      await removeWhenHealthy(via, BigInt('0x' + id).toString());
      await m.kill9();
      await this.mounts[i]?.dropUnsynced();
      for (const name of readdirSync(m.dataDir)) rmSync(join(m.dataDir, name), { recursive: true, force: true });
      const peerUrl = m.opts.extraArgs![m.opts.extraArgs!.indexOf('--initial-advertise-peer-urls') + 1]!;
      const added = await addWithRetry(via, peerUrl);
      this.c.ids[i] = BigInt(added).toString(16);
      await this.start(i);
      return `replaced m${i + 1} (${id} → ${this.c.ids[i]})`;
    } finally {
      via.close();
    }
  }

  /** Moves leadership to member `to` (etcd's MoveLeader, asked of the leader). */
  async moveLeader(to: number): Promise<boolean> {
    const l = await this.leader();
    if (l < 0 || l === to) return l === to;
    const conn = this.conn(l);
    try {
      await conn.moveLeader({ targetID: BigInt('0x' + this.c.ids[to]!).toString() }, 10_000);
      return true;
    } catch {
      return false;
    } finally {
      conn.close();
    }
  }

  /** Members stop before their mounts go, and the mounts before the dirs are removed. */
  close(): Promise<void> {
    return this.c.close();
  }
}

/**
 * etcd's strict reconfiguration check refuses a removal ("unhealthy cluster") until every
 * voter left has been connected to the leader for 5 s (its HealthInterval), as after a
 * member was just replaced or restarted; it may also lack started members. The member is
 * removed once the check passes: 20 tries 500 ms apart, twice that interval.
 */
async function removeWhenHealthy(via: Conn, id: string): Promise<void> {
  const refused = (err: unknown) => /etcdserver: (unhealthy cluster|re-configuration failed due to not enough started members)/.test(String((err as Error)?.message));
  await retrying(() => via.memberRemove({ ID: id }, 10_000), refused, 20, 500);
}

/** MemberAdd right after a removal can be refused while the cluster settles: try a few times. */
async function addWithRetry(via: Conn, peerUrl: string): Promise<string> {
  try {
    const res = await retrying(() => via.memberAdd({ peerURLs: [peerUrl], isLearner: false }, 10_000), () => true, 20, 250);
    return String(res.member.ID);
  } catch (err) {
    throw new Error(`member add failed: ${String((err as Error)?.message ?? err)}`);
  }
}

/** `call`, tried up to `tries` times `ms` apart while its error is one `again` accepts; the last error is thrown. */
async function retrying<T>(call: () => Promise<T>, again: (err: unknown) => boolean, tries: number, ms: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (i >= tries || !again(err)) throw err;
      await sleep(ms);
    }
  }
}
