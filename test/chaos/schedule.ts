// Fault schedules: a list of faults, each held for a while and then healed, written
// so that a printed schedule (with its seed) can be replayed. Faults that target "the
// leader" pick whichever member leads when the fault starts.
import type { ProxiedCluster } from './proxied-cluster.js';
import { Random } from './random.js';

export type Fault =
  /** The member (or the current leader) cut off from every other member, both ways. */
  | { kind: 'isolate'; member: number | 'leader' }
  /** The listed members on one side, the rest on the other. */
  | { kind: 'partition'; minority: number[] }
  /** Traffic from `from` to `to` is lost; the other way still flows. */
  | { kind: 'one-way'; from: number | 'leader'; to: number | 'follower' }
  /** Every link into and out of the member is slowed by `ms`. */
  | { kind: 'slow'; member: number | 'leader'; ms: number }
  /** SIGSTOP, then SIGCONT when the fault heals. */
  | { kind: 'pause'; member: number | 'leader' }
  /** kill -9, restarted from its data dir when the fault heals. */
  | { kind: 'crash'; member: number | 'leader' }
  /** The member cut off and reconnected every `periodMs` while the fault holds. */
  | { kind: 'flap'; member: number | 'leader'; periodMs: number };

/** What applying a fault did, and how to undo what healing the links does not. */
export interface Applied {
  did: string;
  undo?: () => Promise<void>;
  /** Undo only once the network has healed (a restart waits until its member is ready). */
  undoAfterHeal?: boolean;
}

export interface Step {
  /** Held together. */
  faults: Fault[];
  holdMs: number;
  /** Quiet time after healing, before the next step. */
  gapMs: number;
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'isolate': return `isolate ${f.member}`;
    case 'partition': return `partition [${f.minority.join(',')}]`;
    case 'one-way': return `one-way ${f.from}->${f.to}`;
    case 'slow': return `slow ${f.member} +${f.ms}ms`;
    case 'pause': return `pause ${f.member}`;
    case 'crash': return `crash ${f.member}`;
    case 'flap': return `flap ${f.member} every ${f.periodMs}ms`;
  }
}

export function describeSchedule(steps: readonly Step[]): string {
  return steps.map((s) => `${s.faults.map(describeFault).join(' + ')} for ${s.holdMs}ms, gap ${s.gapMs}ms`).join('; ');
}

/** A random schedule of `count` steps for a cluster of `size`, replayable from `seed`. */
export function randomSchedule(seed: number, size: number, count: number): Step[] {
  const rnd = new Random(seed);
  const member = (): number | 'leader' => (rnd.next() < 0.5 ? 'leader' : rnd.int(0, size - 1));
  const minority = Math.floor((size - 1) / 2);
  const one = (): Fault => {
    switch (rnd.int(0, 6)) {
      case 0: return { kind: 'isolate', member: member() };
      case 1: {
        const all = Array.from({ length: size }, (_, j) => j);
        const side: number[] = [];
        for (let k = rnd.int(1, Math.max(1, minority)); k > 0; k--) side.push(all.splice(rnd.int(0, all.length - 1), 1)[0]!);
        return { kind: 'partition', minority: side.sort((x, y) => x - y) };
      }
      case 2: return rnd.next() < 0.5 ? { kind: 'one-way', from: 'leader', to: 'follower' } : { kind: 'one-way', from: rnd.int(0, size - 1), to: 'follower' };
      case 3: return { kind: 'slow', member: member(), ms: rnd.int(20, 200) };
      case 4: return { kind: 'crash', member: member() };
      case 5: return { kind: 'flap', member: member(), periodMs: rnd.int(100, 600) };
      default: return { kind: 'pause', member: member() };
    }
  };
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    // Now and then two faults at once (a slow link and a crash, a pause and a partition…).
    const faults = rnd.next() < 0.3 ? [one(), one()] : [one()];
    steps.push({ faults, holdMs: rnd.int(500, 2500), gapMs: rnd.int(200, 1200) });
  }
  return steps;
}

/** Applies `f`, resolving 'leader' to whichever member leads now. */
export async function applyFault(c: ProxiedCluster, f: Fault): Promise<Applied> {
  const size = c.members.length;
  const resolve = async (m: number | 'leader'): Promise<number> => {
    if (m !== 'leader') return m;
    const l = await c.leader();
    return l >= 0 ? l : 0;
  };
  switch (f.kind) {
    case 'isolate': {
      const m = await resolve(f.member);
      c.partition([m], others(size, [m]));
      return { did: `isolated m${m + 1}` };
    }
    case 'partition':
      c.partition(f.minority, others(size, f.minority));
      return { did: `partitioned ${f.minority.map((m) => `m${m + 1}`).join(',')}` };
    case 'one-way': {
      const from = await resolve(f.from);
      const to = f.to === 'follower' ? (from + 1) % size : f.to === from ? (from + 1) % size : f.to;
      c.link(from, to, { kind: 'drop' });
      return { did: `dropping m${from + 1}->m${to + 1}` };
    }
    case 'slow': {
      const m = await resolve(f.member);
      for (const o of others(size, [m])) {
        c.link(m, o, { kind: 'delay', ms: f.ms });
        c.link(o, m, { kind: 'delay', ms: f.ms });
      }
      return { did: `slowed m${m + 1} by ${f.ms}ms` };
    }
    case 'pause': {
      const m = await resolve(f.member);
      c.pause(m);
      return { did: `paused m${m + 1}` };
    }
    case 'crash': {
      const m = await resolve(f.member);
      const member = c.members[m]!;
      c.resume(m);
      await member.kill9();
      // Its peer port refuses, as a dead process's does (the proxy would otherwise accept).
      await c.proxies[m]!.refuse();
      return {
        did: `crashed m${m + 1}`,
        undo: async () => {
          await c.proxies[m]!.admit();
          await member.restart();
        },
        undoAfterHeal: true,
      };
    }
    case 'flap': {
      const m = await resolve(f.member);
      let stopped = false;
      const loop = (async () => {
        for (let i = 0; !stopped && i < 1000; i++) {
          if (i % 2 === 0) c.partition([m], others(size, [m]));
          else for (const p of c.proxies) p.heal();
          await sleep(f.periodMs);
        }
      })();
      return {
        did: `flapping m${m + 1}`,
        undo: async () => {
          stopped = true;
          await loop;
        },
      };
    }
  }
}

export function others(size: number, xs: number[]): number[] {
  return Array.from({ length: size }, (_, i) => i).filter((i) => !xs.includes(i));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the steps in order: apply, hold, heal, gap. Returns what each step did. */
export async function runSchedule(c: ProxiedCluster, steps: readonly Step[]): Promise<string[]> {
  const log: string[] = [];
  for (const s of steps) {
    const applied: Applied[] = [];
    try {
      for (const f of s.faults) applied.push(await applyFault(c, f));
      log.push(applied.map((a) => a.did).join(' + '));
      await sleep(s.holdMs);
    } finally {
      // A restarted member is ready only once it hears from a leader: a partition still
      // in place (a one-way drop toward it, say) would hold its restart past the timeout.
      for (const a of applied) if (!a.undoAfterHeal) await a.undo?.();
      c.heal();
      for (const a of applied) if (a.undoAfterHeal) await a.undo?.();
    }
    await sleep(s.gapMs);
  }
  return log;
}
