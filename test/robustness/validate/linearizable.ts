// Linearizability of the KV operations, per key, with the existing checker and
// model. Requests of unknown outcome are first resolved as etcd's robustness tests
// resolve them: every written value is unique, so a write whose value is in the
// revision log took effect at that revision (and before any response that saw
// that revision returned), and one whose value is not in the log never did.
// Reads whose outcome is unknown are dropped; a range over many keys is one read
// of each key it covers, all at its revision. Deletes of keys the log shows with
// no client's delete behind them (a revoked or expired lease's keys) become
// operations of unknown start. Serializable reads and reads at a revision are not
// linearizable by definition: validate/operations.ts checks them against the log.
import { checkHistory, explain } from '../../linearizability/checker.js';
import { kvModel, type KvInput, type KvOperation, type KvOutput } from '../../linearizability/kv-model.js';
import { checkRevisions } from '../../linearizability/revisions.js';
import type { History, Op } from '../history.js';
import { inRange } from '../history.js';
import type { Replay } from './log.js';

export interface LinearizabilityCheck {
  verdict: 'ok' | 'illegal' | 'unknown';
  problems: string[];
  /** Operations handed to the checker (after resolution and projection). */
  operations: number;
  /** Requests of unknown outcome resolved from the log: took effect, or never did. */
  resolved: { applied: number; dropped: number };
  ms: number;
}

/** Keys written by plain requests (not by the lock and election services): the ones checked here. */
function checkedKeys(history: History, replay: Replay): Set<string> {
  const keys = new Set<string>();
  for (const op of history.ops) {
    const r = op.req;
    if (r.type === 'put' || r.type === 'delete' || r.type === 'txn') keys.add(r.key);
    if (r.type === 'range' && r.end === undefined) keys.add(r.key);
  }
  return keys;
}

/** The earliest time anyone observed the store at revision `rev` or later (an upper bound on when `rev` was made). */
function observedBy(history: History, end: number): (rev: number) => number {
  const points: Array<[number, number]> = [];
  for (const op of history.ops) if (op.resp && op.return !== undefined) points.push([op.resp.revision, op.return]);
  for (const w of history.watches) for (const r of w.responses) {
    let rev = r.revision;
    for (const e of r.events) rev = Math.max(rev, e.kv.modRevision);
    if (rev > 0) points.push([rev, r.time]);
  }
  points.sort((a, b) => b[0] - a[0]);
  // Suffix minimum of times over revisions ≥ r.
  const revs: number[] = [];
  const mins: number[] = [];
  let m = end;
  for (const [rev, t] of points) {
    m = Math.min(m, t);
    revs.push(rev);
    mins.push(m);
  }
  return (rev) => {
    // revs is descending: the last index with revs[i] >= rev.
    let lo = 0;
    let hi = revs.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (revs[mid]! >= rev) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? end : mins[ans]!;
  };
}

export function checkLinearizable(history: History, replay: Replay, end: number, opts: { timeoutMs?: number } = {}): LinearizabilityCheck {
  const keys = checkedKeys(history, replay);
  const putAt = new Map<string, number>();
  for (const [rev, events] of replay.log.events) for (const e of events) if (e.type === 'PUT') putAt.set(`${e.kv.key}\0${e.kv.value}`, rev);
  const seenBy = observedBy(history, end);
  const out: KvOperation[] = [];
  const attributedDeletes = new Set<string>();
  const resolved = { applied: 0, dropped: 0 };
  const problems: string[] = [];
  const push = (op: Op, input: KvInput, output: KvOutput | undefined, ret: number | undefined) => {
    const o: KvOperation = { clientId: op.client, call: op.call, input };
    if (ret !== undefined && output !== undefined) {
      o.return = Math.max(ret, op.call);
      o.output = output;
    }
    out.push(o);
  };
  for (const op of history.ops) {
    const r = op.req;
    const known = op.resp !== undefined;
    const h = op.resp?.revision;
    if (op.error !== undefined && op.return !== undefined) continue; // refused: no effect
    switch (r.type) {
      case 'range': {
        if (!known || r.serializable || r.revision) break;
        const kvs = op.resp!.kvs!;
        // With a limit, keys past the last one returned are not known.
        const last = r.limit && op.resp!.more ? kvs[kvs.length - 1]?.key : undefined;
        for (const k of keys) {
          if (!inRange(k, r.key, r.end) || (last !== undefined && k > last)) continue;
          const kv = kvs.find((x) => x.key === k);
          push(op, { kind: 'get', key: k }, kv ? { kind: 'get', value: kv.value, modRevision: kv.modRevision, revision: h! } : { kind: 'get', value: null, revision: h! }, op.return);
        }
        break;
      }
      case 'put': {
        if (known) push(op, { kind: 'put', key: r.key, value: r.value }, { kind: 'put', revision: h! }, op.return);
        else {
          const at = putAt.get(`${r.key}\0${r.value}`);
          if (at === undefined) resolved.dropped++;
          else {
            resolved.applied++;
            push(op, { kind: 'put', key: r.key, value: r.value }, { kind: 'put', revision: at }, seenBy(at));
          }
        }
        break;
      }
      case 'delete': {
        if (known && op.resp!.deleted! > 0) attributedDeletes.add(`${r.key}\0${h}`);
        push(op, { kind: 'delete', key: r.key }, known ? { kind: 'delete', deleted: op.resp!.deleted!, revision: h! } : undefined, op.return);
        break;
      }
      case 'txn': {
        const input: KvInput =
          'modRevision' in r.compare
            ? { kind: 'txn', key: r.key, modRevision: r.compare.modRevision, value: 'put' in r.then ? r.then.put : null }
            : { kind: 'cas', key: r.key, expected: r.compare.value, value: 'put' in r.then ? r.then.put : '' };
        if (input.kind === 'cas' && !('put' in r.then)) throw new Error('a value-compared txn that deletes is not generated');
        const kind = input.kind;
        if (known) {
          if (op.resp!.succeeded && !('put' in r.then)) attributedDeletes.add(`${r.key}\0${h}`);
          push(op, input, { kind, succeeded: op.resp!.succeeded!, revision: h! } as KvOutput, op.return);
        } else if ('put' in r.then) {
          // Took effect exactly when its unique value is in the log; if not, it failed or never ran: no effect either way.
          const at = putAt.get(`${r.key}\0${r.then.put}`);
          if (at === undefined) resolved.dropped++;
          else {
            resolved.applied++;
            push(op, input, { kind, succeeded: true, revision: at } as KvOutput, seenBy(at));
          }
        } else {
          push(op, input, undefined, undefined);
        }
        break;
      }
      default:
        break;
    }
  }
  // Deletes in the log that no answered client delete accounts for: lease revokes and
  // expiries, or unanswered deletes. Each took effect at its revision, sometime after
  // the history began and before anyone saw that revision.
  for (const [rev, events] of replay.log.events) {
    for (const e of events) {
      if (e.type !== 'DELETE' || !keys.has(e.kv.key) || attributedDeletes.has(`${e.kv.key}\0${rev}`)) continue;
      out.push({ clientId: -1, call: 0, return: Math.max(0, seenBy(rev)), input: { kind: 'delete', key: e.kv.key }, output: { kind: 'delete', deleted: 1, revision: rev } });
    }
  }
  // A value in the log that no client wrote is a write from nowhere.
  const written = new Set<string>();
  for (const op of history.ops) {
    const r = op.req;
    if (r.type === 'put') written.add(`${r.key}\0${r.value}`);
    if (r.type === 'txn' && 'put' in r.then) written.add(`${r.key}\0${r.then.put}`);
  }
  for (const [key] of putAt) if (keys.has(key.split('\0')[0]!) && !written.has(key)) problems.push(`the log holds a value no client wrote: ${key.replace('\0', '=')}`);
  out.sort((a, b) => a.call - b.call);
  const model = kvModel();
  const result = checkHistory(model, out, { timeoutMs: opts.timeoutMs ?? 20_000 });
  if (result.verdict === 'illegal') problems.push(explain(model, result));
  // Deletes made by one lease revoke share a revision: the cross-key check takes client requests only.
  for (const v of checkRevisions(out.filter((o) => o.clientId >= 0))) problems.push(`${v.message}: ${v.operations.map((o) => model.describe(o)).join(' / ')}`);
  return { verdict: result.verdict, problems, operations: out.length, resolved, ms: result.ms };
}
