// Failpoints: named places in the member's core where the robustness tests make it
// crash, pause or fail, as etcd's gofail points do. They are read once, at start,
// from ETCD_TS_FAILPOINTS, which only the test harness sets:
//
//   ETCD_TS_FAILPOINTS="raftAfterSave=20*off->panic;beforeCommit=10%sleep(300)"
//
// Each point's terms are tried in order (gofail's grammar, in part):
//   [P%][N*]action[(arg)]   joined by ->
// N* makes a term act on its next N hits, then hand over to the next term; P% makes
// it act on a hit with probability P (a miss does nothing and does not count).
// Actions: off (nothing), panic (the process dies at once with SIGKILL, like
// kill -9: no cleanup, nothing flushed), sleep(ms) (the thread blocks, or with
// failpointAsync the caller waits), error(msg) (throws FailpointError).
//
// Off, the cost is one boolean test per call site: `if (failpointsOn) failpoint('x')`.
import { writeSync } from 'node:fs';

/** Every failpoint, named as etcd names the same place where it has one. */
export const FAILPOINTS = [
  // Raft's Ready loop (server/raft-host.ts)
  'raftBeforeSave',
  'raftAfterSave',
  'raftBeforeLeaderSend',
  'raftBeforeFollowerSend',
  'raftBeforeApply',
  'raftBeforeAdvance',
  'raftBeforeSaveSnap',
  'raftAfterSaveSnap',
  'raftBeforeApplySnap',
  'raftAfterApplySnap',
  // The WAL's write, which is its sync (wal/wal.ts)
  'walBeforeSync',
  'walAfterSync',
  // Applying committed entries (server/server.ts)
  'beforeApplyOneEntryNormal',
  'afterApplyOneEntryNormal',
  'beforeApplyOneConfChange',
  'afterApplyOneConfChange',
  // The backend's batch commit (backend/lmdb.ts)
  'beforeCommit',
  'afterCommit',
  // Defragment (backend/lmdb.ts)
  'defragBeforeCopy',
  'defragBeforeRename',
  // Compaction, applied (mvcc/store.ts)
  'compactBeforeSetFinishedCompact',
  'compactAfterSetFinishedCompact',
  // A lease revoke, applied (lease/lessor.ts)
  'leaseRevokeBeforeDeleteKeys',
  'leaseRevokeAfterDeleteKeys',
  // Snapshots to followers: sending the database, installing it (rafthttp/, server/storage.ts)
  'snapshotSendMidStream',
  'snapshotInstallMidBatch',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

export class FailpointError extends Error {
  constructor(readonly failpoint: string, message: string) {
    super(`failpoint ${failpoint}: ${message}`);
    this.name = 'FailpointError';
  }
}

export interface FailpointTerm {
  /** Hits this term still acts on; Infinity for a term without N*. */
  count: number;
  /** Probability of acting on a hit, 0..1. */
  probability: number;
  action: 'off' | 'panic' | 'sleep' | 'error';
  /** sleep: milliseconds; error: the message. */
  arg?: string;
}

const TERM = /^(?:(\d+(?:\.\d+)?)%)?(?:(\d+)\*)?(off|panic|sleep|error)(?:\((.*)\))?$/;

/** Parses one point's terms; throws on anything it does not understand. */
export function parseTerms(spec: string): FailpointTerm[] {
  return spec.split('->').map((raw) => {
    const m = TERM.exec(raw.trim());
    if (!m) throw new Error(`failpoint: cannot parse term ${JSON.stringify(raw)}`);
    const probability = m[1] === undefined ? 1 : Number(m[1]) / 100;
    if (!(probability > 0 && probability <= 1)) throw new Error(`failpoint: probability out of range in ${JSON.stringify(raw)}`);
    const term: FailpointTerm = { count: m[2] === undefined ? Infinity : Number(m[2]), probability, action: m[3] as FailpointTerm['action'] };
    if (m[4] !== undefined) term.arg = m[4];
    if (term.action === 'sleep' && !(Number(term.arg) >= 0)) throw new Error(`failpoint: sleep needs milliseconds in ${JSON.stringify(raw)}`);
    return term;
  });
}

/** Parses "name=terms;name=terms" (newlines or semicolons between points). */
export function parseFailpoints(spec: string): Map<FailpointName, FailpointTerm[]> {
  const out = new Map<FailpointName, FailpointTerm[]>();
  for (const part of spec.split(/[;\n]/)) {
    const s = part.trim();
    if (s === '') continue;
    const eq = s.indexOf('=');
    if (eq <= 0) throw new Error(`failpoint: expected name=terms, got ${JSON.stringify(s)}`);
    const name = s.slice(0, eq).trim();
    if (!(FAILPOINTS as readonly string[]).includes(name)) throw new Error(`failpoint: unknown failpoint ${JSON.stringify(name)}`);
    out.set(name as FailpointName, parseTerms(s.slice(eq + 1)));
  }
  return out;
}

/** Armed failpoints and where each is in its terms. */
export class Failpoints {
  private readonly armed: Map<FailpointName, FailpointTerm[]>;

  constructor(spec: string, private readonly random: () => number = Math.random) {
    this.armed = parseFailpoints(spec);
  }

  get size(): number {
    return this.armed.size;
  }

  /** The term a hit acts on now, advancing the point's terms; undefined: nothing happens. */
  take(name: FailpointName): FailpointTerm | undefined {
    const terms = this.armed.get(name);
    if (terms === undefined) return undefined;
    while (terms.length > 0 && terms[0]!.count <= 0) terms.shift();
    const t = terms[0];
    if (t === undefined) return undefined;
    if (t.probability < 1 && this.random() >= t.probability) return undefined;
    t.count--;
    return t;
  }
}

const active = new Failpoints(process.env.ETCD_TS_FAILPOINTS ?? '');

/** True when any failpoint is armed; call sites test it before calling in. */
export const failpointsOn: boolean = active.size > 0;

function note(name: string, what: string): void {
  // Written straight to stderr: the harness reads which point acted, even as the process dies.
  try {
    writeSync(2, `failpoint ${name}: ${what}\n`);
  } catch {
    // stderr closed: the action still happens
  }
}

function act(name: FailpointName, t: FailpointTerm, blockSleep: boolean): number {
  switch (t.action) {
    case 'off':
      return 0;
    case 'panic':
      note(name, 'panic');
      process.kill(process.pid, 'SIGKILL');
      // SIGKILL to oneself is delivered before kill() returns on Linux; never reached.
      throw new Error('unreachable');
    case 'error':
      note(name, 'error');
      throw new FailpointError(name, t.arg ?? 'injected error');
    case 'sleep': {
      const ms = Number(t.arg);
      note(name, `sleep ${ms}ms`);
      if (blockSleep) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      return ms;
    }
  }
}

/** A failpoint in synchronous code: a sleep blocks the whole thread, as a stalled system call would. */
export function failpoint(name: FailpointName): void {
  const t = active.take(name);
  if (t !== undefined) act(name, t, true);
}

/** A failpoint in asynchronous code: a sleep delays only this caller; other work goes on meanwhile. */
export async function failpointAsync(name: FailpointName): Promise<void> {
  const t = active.take(name);
  if (t === undefined) return;
  const ms = act(name, t, false);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
