// Checks one recorded history once the cluster is whole again: members converge to
// one HashKV; the observers' streams give the revision log; then every watch
// stream, every answered request, the linearizability of the KV operations and
// every member's final contents are checked against it.
import { converge } from '../chaos/verify.js';
import type { ClusterMember } from '../helpers/cluster.js';
import { connect } from './conn.js';
import { prefixEnd, toKeyValue, type History, type WatchRecord } from './history.js';
import type { Observer } from './observer.js';
import { buildLog, coverage, Replay } from './validate/log.js';
import { checkWatch } from './validate/watch.js';
import { checkOperations } from './validate/operations.js';
import { checkLinearizable } from './validate/linearizable.js';

export interface HistoryVerdict {
  problems: string[];
  /** Requests recorded, answered, and of unknown outcome. */
  requests: number;
  answered: number;
  unknown: number;
  /** Requests checked against the log; acknowledged writes found in it. */
  checked: number;
  ackedWrites: number;
  /** Operations the linearizability checker placed; unknown outcomes resolved from the log. */
  linearized: number;
  resolved: { applied: number; dropped: number };
  watchStreams: number;
  watchEvents: number;
  finalRevision: number;
  /** True when the linearizability search ran out of budget (not a failure, not a pass). */
  inconclusive: boolean;
}

/**
 * Where the revision log ends: the revision the members converged at, or later when
 * an observer saw further before it stopped (the leader's lease expiries go on
 * writing after the traffic ends). Those events are real, not past the store's end.
 */
export function logEndRevision(convergedAt: number, observerStreams: readonly WatchRecord[]): number {
  return Math.max(convergedAt, ...observerStreams.map((w) => coverage(w)[1]));
}

/** Polls a member's own (serializable) revision until it is at least `revision` (bounded). */
async function reachRevision(conn: ReturnType<typeof connect>, revision: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await conn.range({ key: Buffer.from([0]), serializable: true, countOnly: true }, 5000).catch(() => undefined);
    if (res !== undefined && Number(res.header?.revision ?? 0) >= revision) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function verifyHistory(members: ClusterMember[], observers: Observer[], history: History, end: number): Promise<HistoryVerdict> {
  const problems: string[] = [];
  const { revision: finalRevision } = await converge(members, 30_000);
  for (const o of observers) {
    if (!(await o.catchUp(finalRevision, 15_000))) problems.push(`observer on ${o.endpoint} did not reach revision ${finalRevision} (at ${o.observed})`);
  }
  await Promise.all(observers.map((o) => o.stop()));
  const end_ = prefixEnd(history.prefix);
  const observerIds = new Set(observers.map((_, i) => 900 + i));
  const streams = history.watches.filter((w) => observerIds.has(w.client));
  const logEnd = logEndRevision(finalRevision, streams);
  const log = buildLog(streams, history.prefix, end_, history.startRevision, logEnd);
  problems.push(...log.problems);
  const replay = new Replay(log);
  let watchEvents = 0;
  for (const w of history.watches) {
    const c = checkWatch(w, replay);
    watchEvents += c.events;
    problems.push(...c.problems);
  }
  const ops = checkOperations(history.ops, replay, history.prefix);
  problems.push(...ops.problems);
  const lin = checkLinearizable(history, replay, end);
  problems.push(...lin.problems);
  // Every member holds exactly the log's state at the log's end: read at that
  // revision, since lease expiries may have moved the store on since.
  const want = JSON.stringify(replay.range(history.prefix, end_, logEnd));
  for (const m of members) {
    const conn = connect(m.endpoint);
    try {
      // An observer may have seen lease expiries past the converged revision that this
      // member has not applied yet: a serializable read there would be a future revision.
      if (!(await reachRevision(conn, logEnd, 10_000))) problems.push(`${m.name} did not reach revision ${logEnd}`);
      const res = await conn.range({ key: Buffer.from(history.prefix), rangeEnd: Buffer.from(end_), serializable: true, revision: String(logEnd) }, 10_000);
      const got = JSON.stringify((res.kvs ?? []).map(toKeyValue));
      if (got !== want) problems.push(`${m.name} holds ${got} under the prefix at revision ${logEnd}, the log has ${want}`);
    } finally {
      conn.close();
    }
  }
  const answered = history.ops.filter((o) => o.resp !== undefined).length;
  return {
    problems,
    requests: history.ops.length,
    answered,
    unknown: history.ops.filter((o) => o.return === undefined).length,
    checked: ops.checked,
    ackedWrites: ops.ackedWrites,
    linearized: lin.operations,
    resolved: lin.resolved,
    watchStreams: history.watches.length,
    watchEvents,
    finalRevision: logEnd,
    inconclusive: lin.verdict === 'unknown',
  };
}
