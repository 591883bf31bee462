// The faults a history can suffer, each injected while traffic runs and undone
// before the history is checked (every member running again): failpoints inside
// the server (the member restarted with one armed, the path to it triggered, the
// member restarted clean once it died or the fault passed), kill -9 and
// SIGSTOP/SIGCONT, network faults through the peer proxies (blackhole, delay,
// one-way drop, a flapping link), member replacement and leader transfer.
import type { FailpointName } from '../../src/pkg/failpoint.js';
import { applyFault, others, type Fault as ChaosFault } from '../chaos/schedule.js';
import type { Random } from '../chaos/random.js';
import type { RobustCluster } from './cluster.js';

export interface FaultEnv {
  cluster: RobustCluster;
  rnd: Random;
  /** A prefix of the trigger's own (outside the history's), for what it writes. */
  prefix: string;
  /** The highest revision a trigger may compact to (every watch observer has seen it). */
  safeCompactRevision(): number;
}

export interface FaultOutcome {
  did: string;
  /** False when a failpoint was armed but its path never ran. */
  triggered: boolean;
}

export interface Fault {
  name: string;
  /** A failpoint fault's point, and what makes the armed member run it. */
  point?: FailpointName;
  trigger?: Trigger;
  category: 'failpoint' | 'process' | 'network' | 'membership' | 'leader';
  /** Smallest cluster it applies to. */
  minSize: number;
  inject(env: FaultEnv): Promise<FaultOutcome>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Target = 'leader' | 'follower' | 'any';
export type Trigger = 'traffic' | 'defrag' | 'compact' | 'snapshot' | 'revoke' | 'membership';

async function pick(env: FaultEnv, target: Target): Promise<number> {
  const size = env.cluster.size;
  if (target === 'any' || size === 1) return env.rnd.int(0, size - 1);
  const l = await env.cluster.waitLeader();
  if (l < 0) return env.rnd.int(0, size - 1);
  return target === 'leader' ? l : (l + env.rnd.int(1, size - 1)) % size;
}

/**
 * A trigger's call, tried again while the member answers UNAVAILABLE, up to `ms`: a
 * member just restarted to arm a failpoint is reached through a client channel that
 * may still be reconnecting (the call then fails at once, never reaching the path),
 * and etcd refuses a member add as an unhealthy cluster for 5 s after a peer link
 * comes back. Undefined when it never got through, or the member died meanwhile.
 */
async function served<T>(call: () => Promise<T>, ms: number, live: () => boolean): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      return await call();
    } catch (err) {
      // A member that died (the armed point fired) answers nothing more.
      if ((err as { code?: number }).code !== 14 || Date.now() >= deadline || !live()) return undefined;
      await sleep(100);
    }
  }
  return undefined;
}

/** Makes the armed member run the failpoint's path. */
export async function trigger(env: FaultEnv, m: number, how: Trigger): Promise<void> {
  const { cluster } = env;
  const conn = cluster.conn(m);
  const live = () => cluster.c.members[m]!.running;
  try {
    switch (how) {
      case 'traffic':
        return;
      case 'defrag':
        await served(() => conn.defragment({}, 10_000), 5000, live);
        return;
      case 'compact': {
        // Any member's compaction is applied by all; write a little first so there is history to drop.
        for (let i = 0; i < 3; i++) await served(() => conn.put({ key: Buffer.from(`${env.prefix}c`), value: Buffer.from(String(i)) }, 5000), 3000, live);
        await sleep(300);
        await served(() => conn.compact({ revision: String(env.safeCompactRevision()), physical: true }, 10_000), 3000, live);
        return;
      }
      case 'revoke': {
        const id = String(0x7000_0000 + env.rnd.int(0, 0x0fff_ffff));
        await served(() => conn.leaseGrant({ ID: id, TTL: '60' }, 5000), 3000, live);
        await served(() => conn.put({ key: Buffer.from(`${env.prefix}l`), value: Buffer.from('x'), lease: id }, 5000), 3000, live);
        await served(() => conn.leaseRevoke({ ID: id }, 10_000), 3000, live);
        return;
      }
      case 'membership': {
        // The member's own peer URLs updated to themselves: a membership change every member
        // applies, and not held back for the health check a member add waits out after a restart.
        const id = BigInt('0x' + cluster.c.ids[m]!).toString();
        const list = await served(() => conn.memberList({}, 5000), 3000, live);
        const self = list?.members?.find((x: { ID: string }) => String(x.ID) === id);
        if (self) {
          await served(() => conn.memberUpdate({ ID: id, peerURLs: self.peerURLs }, 10_000), 3000, live);
          return;
        }
        // Not found in the list: a learner added and removed, two membership changes every member applies.
        const res = await served(() => conn.memberAdd({ peerURLs: [`http://127.0.0.1:${20000 + env.rnd.int(0, 9999)}`], isLearner: true }, 10_000), 8000, live);
        if (res?.member?.ID) await served(() => conn.memberRemove({ ID: String(res.member.ID) }, 10_000), 8000, live);
        return;
      }
      case 'snapshot': {
        // The follower is cut off while the leader's log moves past what it keeps, then let back: it needs a snapshot.
        const l = await cluster.waitLeader();
        const follower = l === m ? (m + 1) % cluster.size : m;
        const leaderConn = cluster.conn(l < 0 ? (follower + 1) % cluster.size : l);
        cluster.c.partition([follower], others(cluster.size, [follower]));
        try {
          const value = Buffer.alloc(512, 'x');
          await Promise.all(
            Array.from({ length: 10 }, async (_, j) => {
              for (let i = 0; i < 70; i++) await leaderConn.put({ key: Buffer.from(`${env.prefix}s${j}`), value }, 5000).catch(() => undefined);
            }),
          );
        } finally {
          leaderConn.close();
          cluster.c.heal();
        }
        await sleep(1500);
        return;
      }
    }
  } finally {
    conn.close();
  }
}

function failpointFault(point: FailpointName, o: { action?: 'panic' | 'sleep' | 'error'; target?: Target; trigger?: Trigger; minSize?: number; maxSkip?: number } = {}): Fault {
  const action = o.action ?? 'panic';
  const target = o.target ?? 'any';
  const how = o.trigger ?? 'traffic';
  return {
    name: action === 'panic' ? point : `${point}:${action}`,
    point,
    trigger: how,
    category: 'failpoint',
    minSize: o.minSize ?? (how === 'snapshot' || target !== 'any' ? 3 : 1),
    async inject(env) {
      const { cluster, rnd } = env;
      let m = await pick(env, target);
      // Hot paths act after a few hits, so the member dies in the middle of traffic, not at boot.
      const skip = how === 'traffic' ? rnd.int(2, o.maxSkip ?? 40) : 0;
      const term = action === 'panic' ? 'panic' : action === 'sleep' ? `3*sleep(${rnd.int(100, 800)})` : '1*error(injected)';
      const spec = `${point}=${skip > 0 ? `${skip}*off->` : ''}${term}`;
      // Only this run's note counts: the log spans restarts, and the pauses armed on every member note the same points.
      const logFrom = cluster.c.members[m]!.logs().length;
      const member = cluster.c.members[m]!;
      const acted = () => member.logs().slice(logFrom).includes(`failpoint ${point}: ${action}`);
      // An apply point may act while the member replays its log at start, before it serves.
      const diedAtStart = await cluster.restartWith(m, spec).then(
        () => false,
        (err: unknown) => {
          if (member.running || !acted()) throw err;
          return true;
        },
      );
      if (!diedAtStart) {
        // A restarted member is not the leader; make it lead again when it must.
        if (target === 'leader' && cluster.size > 1) {
          for (let i = 0; i < 5 && !(await cluster.moveLeader(m)); i++) await sleep(300);
        }
        await trigger(env, m, how);
      }
      const died = diedAtStart || (await member.waitExit(action === 'panic' ? 4000 : 1500));
      const noted = acted();
      if (died) {
        await cluster.crashed(m);
        await cluster.start(m);
      } else {
        // Disarmed by a clean restart (a failpoint that did not fire stays armed otherwise).
        await cluster.restartWith(m);
      }
      return { did: `${spec} on m${m + 1}${diedAtStart ? ' (died at start)' : died ? ' (died)' : ''}`, triggered: noted };
    },
  };
}

export const FAILPOINT_FAULTS: Fault[] = [
  failpointFault('raftBeforeSave'),
  failpointFault('raftAfterSave'),
  failpointFault('raftBeforeLeaderSend', { target: 'leader' }),
  failpointFault('raftBeforeFollowerSend', { target: 'follower' }),
  failpointFault('raftBeforeApply'),
  failpointFault('raftBeforeAdvance'),
  failpointFault('walBeforeSync'),
  failpointFault('walAfterSync'),
  failpointFault('beforeApplyOneEntryNormal'),
  failpointFault('afterApplyOneEntryNormal'),
  failpointFault('beforeApplyOneConfChange', { trigger: 'membership' }),
  failpointFault('afterApplyOneConfChange', { trigger: 'membership' }),
  // The backend commits every 100 ms: a few hits must fit the wait for the member's death.
  failpointFault('beforeCommit', { maxSkip: 12 }),
  failpointFault('afterCommit', { maxSkip: 12 }),
  failpointFault('defragBeforeCopy', { trigger: 'defrag' }),
  failpointFault('defragBeforeRename', { trigger: 'defrag' }),
  failpointFault('compactBeforeSetFinishedCompact', { trigger: 'compact' }),
  failpointFault('compactAfterSetFinishedCompact', { trigger: 'compact' }),
  failpointFault('leaseRevokeBeforeDeleteKeys', { trigger: 'revoke' }),
  failpointFault('leaseRevokeAfterDeleteKeys', { trigger: 'revoke' }),
  failpointFault('raftBeforeSaveSnap', { target: 'follower', trigger: 'snapshot' }),
  failpointFault('raftAfterSaveSnap', { target: 'follower', trigger: 'snapshot' }),
  failpointFault('raftBeforeApplySnap', { target: 'follower', trigger: 'snapshot' }),
  failpointFault('raftAfterApplySnap', { target: 'follower', trigger: 'snapshot' }),
  failpointFault('snapshotInstallMidBatch', { target: 'follower', trigger: 'snapshot' }),
  failpointFault('snapshotSendMidStream', { target: 'leader', trigger: 'snapshot' }),
  // Injected errors where the code has an error path. (Pauses are armed on every member of a run: PAUSE_FAILPOINTS.)
  failpointFault('walBeforeSync', { action: 'error' }),
  failpointFault('beforeCommit', { action: 'error', maxSkip: 12 }),
  failpointFault('defragBeforeCopy', { action: 'error', trigger: 'defrag' }),
  failpointFault('beforeApplyOneEntryNormal', { action: 'error' }),
];

/** A chaos-schedule fault held for a while, then healed. */
function chaosFault(name: string, category: Fault['category'], minSize: number, make: (env: FaultEnv) => ChaosFault): Fault {
  return {
    name,
    category,
    minSize,
    async inject(env) {
      const f = make(env);
      const applied = await applyFault(env.cluster.c, f);
      try {
        await sleep(env.rnd.int(300, 1200));
      } finally {
        if (!applied.undoAfterHeal) await applied.undo?.();
        env.cluster.c.heal();
        if (applied.undoAfterHeal) await applied.undo?.();
      }
      return { did: applied.did, triggered: true };
    },
  };
}

const target = (env: FaultEnv): number | 'leader' => (env.rnd.next() < 0.5 ? 'leader' : env.rnd.int(0, env.cluster.size - 1));

export const OTHER_FAULTS: Fault[] = [
  {
    name: 'kill',
    category: 'process',
    minSize: 1,
    async inject(env) {
      const { cluster } = env;
      const m = env.rnd.next() < 0.5 && cluster.size > 1 ? await pick(env, 'leader') : env.rnd.int(0, cluster.size - 1);
      await cluster.crash(m);
      await sleep(env.rnd.int(100, 800));
      await cluster.start(m);
      return { did: `kill -9 m${m + 1}${cluster.mounts.length ? ', unsynced writes dropped' : ''}`, triggered: true };
    },
  },
  chaosFault('pause', 'process', 1, (env) => ({ kind: 'pause', member: target(env) })),
  chaosFault('blackhole', 'network', 3, (env) => ({ kind: 'isolate', member: target(env) })),
  chaosFault('delay', 'network', 3, (env) => ({ kind: 'slow', member: target(env), ms: env.rnd.int(20, 300) })),
  chaosFault('one-way', 'network', 3, (env) => ({ kind: 'one-way', from: env.rnd.next() < 0.5 ? 'leader' : env.rnd.int(0, env.cluster.size - 1), to: 'follower' })),
  chaosFault('flap', 'network', 3, (env) => ({ kind: 'flap', member: target(env), periodMs: env.rnd.int(100, 500) })),
  {
    name: 'replace',
    category: 'membership',
    minSize: 3,
    async inject(env) {
      const m = await pick(env, env.rnd.next() < 0.3 ? 'leader' : 'follower');
      return { did: await env.cluster.replace(m), triggered: true };
    },
  },
  {
    name: 'move-leader',
    category: 'leader',
    minSize: 3,
    async inject(env) {
      const to = await pick(env, 'follower');
      const ok = await env.cluster.moveLeader(to);
      await sleep(500);
      return { did: `leadership to m${to + 1}${ok ? '' : ' (refused)'}`, triggered: ok };
    },
  },
];

export const ALL_FAULTS: Fault[] = [...FAILPOINT_FAULTS, ...OTHER_FAULTS];

/** Faults that restart a member (seconds each): the rest leave every process running. */
export function restarts(f: Fault): boolean {
  return f.category === 'failpoint' || f.name === 'kill' || f.name === 'replace';
}

/**
 * Random pauses inside the core, armed on every member for a whole run: where etcd's
 * robustness tests make a member sleep (before and after the WAL write, before a
 * membership change is applied), and in the backend commit, defrag, compaction and
 * snapshot send. A pause holds the core thread, as a stalled disk would.
 */
export const PAUSE_FAILPOINTS = [
  'raftBeforeSave=1%sleep(150)',
  'raftAfterSave=1%sleep(150)',
  'beforeCommit=2%sleep(200)',
  'beforeApplyOneConfChange=50%sleep(400)',
  'defragBeforeCopy=50%sleep(300)',
  'compactBeforeSetFinishedCompact=30%sleep(200)',
  'snapshotSendMidStream=30%sleep(200)',
].join(';');

/** Faults by name or category ('all', 'failpoints', 'process', 'network', 'membership', 'leader', or names), comma-separated. */
export function selectFaults(spec: string): Fault[] {
  const out = new Set<Fault>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const cat = part === 'failpoints' ? 'failpoint' : part;
    const hit = part === 'all' ? ALL_FAULTS : ALL_FAULTS.filter((f) => f.name === part || f.category === cat);
    if (hit.length === 0) throw new Error(`unknown fault ${JSON.stringify(part)}; have all, failpoints, process, network, membership, leader, or one of: ${ALL_FAULTS.map((f) => f.name).join(', ')}`);
    for (const f of hit) out.add(f);
  }
  return [...out];
}
