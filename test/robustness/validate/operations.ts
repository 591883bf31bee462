// Every answered request against the revision log: a write acknowledged at
// revision r is in the log at r (nothing acknowledged may be missing); a txn's
// compare held (or failed) on the state it was decided on; a read, linearizable,
// serializable or at a revision, returned exactly the state at the revision it says
// it read; Lock, Campaign and Leader answered with the key that held the lock or
// led at the answer's revision.
import type { KeyValue, Op } from '../history.js';
import { prefixEnd } from '../history.js';
import { describeEvent, type Replay } from './log.js';

export interface OperationsCheck {
  problems: string[];
  /** Answered requests checked against the log. */
  checked: number;
  /** Acknowledged writes found in the log. */
  ackedWrites: number;
}

function kvEq(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(kvs: readonly KeyValue[] | undefined): string {
  return `[${(kvs ?? []).map((k) => `${k.key}=${JSON.stringify(k.value)}@${k.modRevision}`).join(', ')}]`;
}

export function describeOp(op: Op): string {
  const r = op.req;
  const what = JSON.stringify(r);
  const out = op.resp ? `→ @${op.resp.revision}${op.resp.succeeded === undefined ? '' : op.resp.succeeded ? ' succeeded' : ' failed'}${op.resp.kvs ? ` ${show(op.resp.kvs)}` : ''}` : op.error ? `→ ${op.error}${op.return === undefined ? ' (unknown outcome)' : ''}` : '→ ?';
  return `client ${op.client} ${r.type} ${what} ${out} [${op.call.toFixed(1)}, ${op.return?.toFixed(1) ?? '?'}]`;
}

/** The single revision the log holds this put at, found by its unique value. */
export function findPut(replay: Replay, key: string, value: string): number | undefined {
  for (const [rev, events] of replay.log.events) for (const e of events) if (e.type === 'PUT' && e.kv.key === key && e.kv.value === value) return rev;
  return undefined;
}

export function checkOperations(ops: readonly Op[], replay: Replay, prefix: string): OperationsCheck {
  const problems: string[] = [];
  let checked = 0;
  let ackedWrites = 0;
  const fail = (op: Op, msg: string) => {
    if (problems.length < 20) problems.push(`${msg}: ${describeOp(op)}`);
  };
  const lockPrefix = (name: string) => `${name}/`;
  const laterSaw = lowestRevisionCalledAfter(ops);
  for (const op of ops) {
    const resp = op.resp;
    if (resp === undefined) continue;
    const req = op.req;
    const h = resp.revision;
    if (!replay.covers(h) && !(req.type === 'range' && req.revision && replay.covers(req.revision))) continue;
    checked++;
    switch (req.type) {
      case 'range': {
        const at = req.revision ? req.revision : h;
        if (req.revision && req.revision > h) fail(op, `read at revision ${req.revision} answered with header revision ${h}`);
        if (!replay.covers(at)) break;
        const all = replay.range(req.key, req.end, at);
        const want = req.limit ? all.slice(0, req.limit) : all;
        if (resp.kvs!.length !== want.length || resp.kvs!.some((kv, i) => !kvEq(kv, want[i]))) fail(op, `read ${show(resp.kvs)}, the log has ${show(want)} at revision ${at}`);
        if (resp.count !== all.length) fail(op, `count ${resp.count}, the log has ${all.length} keys at revision ${at}`);
        if (resp.more !== (req.limit ? all.length > req.limit : false)) fail(op, `more=${resp.more} with ${all.length} keys at revision ${at}`);
        break;
      }
      case 'put': {
        const e = (replay.log.events.get(h) ?? []).find((x) => x.type === 'PUT' && x.kv.key === req.key);
        if (e === undefined || e.kv.value !== req.value) fail(op, `acknowledged at revision ${h}, the log has ${e ? describeEvent(e) : 'no put of the key'} there`);
        else if (e.kv.lease !== (req.lease ?? '0')) fail(op, `put with lease ${req.lease ?? 'none'} is in the log with lease ${e.kv.lease}`);
        ackedWrites++;
        break;
      }
      case 'delete': {
        const e = (replay.log.events.get(h) ?? []).find((x) => x.type === 'DELETE' && x.kv.key === req.key);
        if (resp.deleted === 1) {
          if (e === undefined) fail(op, `deleted 1 at revision ${h}, the log has no delete of the key there`);
          ackedWrites++;
        } else if (replay.get(req.key, h) !== undefined) fail(op, `deleted 0 at revision ${h}, but the key was present then`);
        break;
      }
      case 'txn': {
        if (resp.succeeded) {
          // Decided on the state just before its own revision.
          const before = replay.get(req.key, h - 1);
          const holds = 'modRevision' in req.compare ? (before?.modRevision ?? 0) === req.compare.modRevision : (before?.value ?? null) === req.compare.value;
          if (!holds) fail(op, `succeeded at revision ${h}, but before it the key was ${show(before ? [before] : [])}`);
          const events = replay.log.events.get(h) ?? [];
          const e = events.find((x) => x.kv.key === req.key);
          const ok = 'put' in req.then ? e?.type === 'PUT' && e.kv.value === req.then.put : before === undefined ? e === undefined : e?.type === 'DELETE';
          if (!ok) fail(op, `succeeded at revision ${h}, the log has [${events.map(describeEvent).join(', ')}] there`);
          ackedWrites++;
        } else {
          const now = replay.get(req.key, h);
          const holds = 'modRevision' in req.compare ? (now?.modRevision ?? 0) === req.compare.modRevision : (now?.value ?? null) === req.compare.value;
          if (holds) fail(op, `failed at revision ${h}, but the key then was ${show(now ? [now] : [])}, which passes the compare`);
          if (!kvEq(resp.kvs?.[0], now)) fail(op, `failure branch read ${show(resp.kvs)}, the log has ${show(now ? [now] : [])} at ${h}`);
        }
        break;
      }
      case 'leaseRevoke': {
        const attached = replay.range(prefix, prefixEnd(prefix), h).filter((kv) => kv.lease === req.id);
        if (attached.length) fail(op, `lease revoked at revision ${h}, keys still attached: ${show(attached)}`);
        break;
      }
      case 'lock':
      case 'campaign': {
        // The answer's key holds the lock (leads) once every key created before it is gone.
        // etcd answers a campaign with its key's creation header, so the answer's revision
        // does not say when; instead, no request begun after the answer may see a store
        // where an older key still exists.
        const pfx = lockPrefix(req.name);
        const key = resp.key ?? '';
        const createdAt = created(replay, key);
        if (createdAt === Infinity) {
          fail(op, `${req.type} answered with ${key}, which the log never created`);
          break;
        }
        for (const other of replay.range(pfx, prefixEnd(pfx), createdAt)) {
          if (other.createRevision >= createdAt) continue;
          const gone = deletedAfter(replay, other.key, createdAt);
          if (gone === undefined) fail(op, `${req.type} answered with ${key}, but ${other.key} (created at ${other.createRevision}) was never deleted`);
          else if (laterSaw(op.return!) < gone) fail(op, `${req.type} answered with ${key}, but a request begun after the answer saw revision ${laterSaw(op.return!)}, before ${other.key} was deleted at ${gone}`);
        }
        break;
      }
      case 'leader': {
        const pfx = lockPrefix(req.name);
        const held = replay.range(pfx, prefixEnd(pfx), h);
        const first = held.reduce<KeyValue | undefined>((m, kv) => (m === undefined || kv.createRevision < m.createRevision ? kv : m), undefined);
        if (!kvEq(resp.kvs?.[0], first)) fail(op, `leader is ${show(resp.kvs)}, the log has ${show(first ? [first] : [])} at ${h}`);
        break;
      }
      default:
        break;
    }
  }
  return { problems, checked, ackedWrites };
}

/** The revision a key was first created at in the log (Infinity when never). */
function created(replay: Replay, key: string): number {
  for (const rev of [...replay.log.events.keys()].sort((a, b) => a - b)) {
    if (replay.log.events.get(rev)!.some((e) => e.type === 'PUT' && e.kv.key === key)) return rev;
  }
  return Infinity;
}

/** The revision at which the key was next deleted after `rev`, if the log has it. */
function deletedAfter(replay: Replay, key: string, rev: number): number | undefined {
  let best: number | undefined;
  for (const [r, events] of replay.log.events) {
    if (r > rev && (best === undefined || r < best) && events.some((e) => e.type === 'DELETE' && e.kv.key === key)) best = r;
  }
  return best;
}

/** For a time t: the lowest header revision among linearizable requests called after t (Infinity if none). */
function lowestRevisionCalledAfter(ops: readonly Op[]): (t: number) => number {
  const lin = ops
    .filter((o) => o.resp !== undefined && !(o.req.type === 'range' && (o.req.serializable || o.req.revision)) && o.req.type !== 'campaign' && o.req.type !== 'lock')
    .map((o) => [o.call, o.resp!.revision] as const)
    .sort((a, b) => a[0] - b[0]);
  const suffixMin: number[] = new Array(lin.length + 1).fill(Infinity);
  for (let i = lin.length - 1; i >= 0; i--) suffixMin[i] = Math.min(suffixMin[i + 1]!, lin[i]![1]);
  return (t) => {
    let lo = 0;
    let hi = lin.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lin[mid]![0] > t) hi = mid;
      else lo = mid + 1;
    }
    return suffixMin[lo]!;
  };
}
