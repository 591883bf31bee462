// The history's revision log: every event under the history's prefix, by revision,
// merged from all the watch streams that saw it. Streams must agree wherever they
// overlap; the log is complete over (startRevision, endRevision] when the streams
// together cover that span. A replay of the log gives the prefix's state at any
// revision, which every read, write and watch event is then checked against.
import type { KeyValue, WatchEvent, WatchRecord } from '../history.js';
import { inRange } from '../history.js';

export interface RevisionLog {
  /** Events per revision (one txn may hold several), in the order the streams gave them. */
  events: Map<number, WatchEvent[]>;
  startRevision: number;
  /** The log is complete over (startRevision, endRevision]. */
  endRevision: number;
  problems: string[];
}

function sameKv(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.key === b.key && a.value === b.value && a.createRevision === b.createRevision && a.modRevision === b.modRevision && a.version === b.version && a.lease === b.lease;
}

export function sameEvent(a: WatchEvent, b: WatchEvent): boolean {
  // prev_kv is per-stream (asked for or not): compared by the watch checks, not here.
  return a.type === b.type && sameKv(a.kv, b.kv);
}

export function describeEvent(e: WatchEvent): string {
  return `${e.type} ${e.kv.key}${e.type === 'PUT' ? `=${JSON.stringify(e.kv.value)}` : ''} @${e.kv.modRevision}`;
}

/** The span a stream is complete over: from its start to the last revision it saw an event or progress for. */
export function coverage(w: WatchRecord): [number, number] {
  let last = w.startRevision - 1;
  for (const r of w.responses) {
    if (r.progress) last = Math.max(last, r.revision);
    for (const e of r.events) last = Math.max(last, e.kv.modRevision);
  }
  return [w.startRevision, last];
}

/**
 * Merges the streams of watches over the whole prefix (no filters) into the log.
 * `endRevision` is where the log must reach (the store's revision once healed).
 */
export function buildLog(streams: readonly WatchRecord[], prefix: string, prefixEnd: string, startRevision: number, endRevision: number): RevisionLog {
  const events = new Map<number, WatchEvent[]>();
  const source = new Map<number, string>();
  const problems: string[] = [];
  const spans: Array<[number, number]> = [];
  const seen: Array<{ name: string; from: number; to: number; byRev: Map<number, WatchEvent[]> }> = [];
  for (const w of streams) {
    if (w.filters.length > 0 || w.key !== prefix || w.end !== prefixEnd) throw new Error('the log is built from unfiltered watches over the whole prefix');
    if (w.startRevision <= 0) continue;
    const byRev = new Map<number, WatchEvent[]>();
    for (const r of w.responses) for (const e of r.events) {
      const rev = e.kv.modRevision;
      let list = byRev.get(rev);
      if (list === undefined) byRev.set(rev, (list = []));
      list.push(e);
    }
    const [from, to] = coverage(w);
    if (to >= from) spans.push([from, to]);
    const name = `watch of client ${w.client} on ${w.endpoint} from ${w.startRevision}`;
    for (const [rev, list] of byRev) {
      const have = events.get(rev);
      if (have === undefined) {
        events.set(rev, list);
        source.set(rev, name);
      } else if (have.length !== list.length || have.some((e, i) => !sameEvent(e, list[i]!))) {
        problems.push(`streams disagree at revision ${rev}: ${source.get(rev)} saw [${have.map(describeEvent).join(', ')}], ${name} saw [${list.map(describeEvent).join(', ')}]`);
      }
    }
    seen.push({ name, from, to, byRev });
  }
  // Within a stream's span, a revision with an event in any stream must have it in this one.
  for (const { name, from, to, byRev } of seen) {
    for (const [rev, list] of events) {
      if (rev >= from && rev <= to && !byRev.has(rev)) problems.push(`${name} covers revision ${rev} but missed [${list.map(describeEvent).join(', ')}] (seen by ${source.get(rev)})`);
    }
  }
  // Coverage of (startRevision, endRevision] by the union of the spans.
  spans.sort((a, b) => a[0] - b[0]);
  let reached = startRevision;
  for (const [from, to] of spans) {
    if (from > reached + 1) break;
    reached = Math.max(reached, to);
  }
  if (reached < endRevision) problems.push(`the watch streams together cover revisions only up to ${reached} of (${startRevision}, ${endRevision}]: the log is incomplete`);
  for (const rev of events.keys()) if (rev > endRevision) problems.push(`an event at revision ${rev}, past the store's final revision ${endRevision}`);
  return { events, startRevision, endRevision: Math.min(reached, endRevision), problems };
}

/** The prefix's state at any revision of the log, by replaying it. */
export class Replay {
  /** Per key: its versions in revision order (null: deleted). */
  private readonly versions = new Map<string, Array<{ rev: number; kv: KeyValue | null }>>();

  constructor(readonly log: RevisionLog) {
    for (const rev of [...log.events.keys()].sort((a, b) => a - b)) {
      for (const e of log.events.get(rev)!) {
        let v = this.versions.get(e.kv.key);
        if (v === undefined) this.versions.set(e.kv.key, (v = []));
        v.push({ rev, kv: e.type === 'PUT' ? e.kv : null });
      }
    }
  }

  /** The key's value at `rev` (undefined: absent); every key starts absent at the log's start. */
  get(key: string, rev: number): KeyValue | undefined {
    const v = this.versions.get(key);
    if (v === undefined) return undefined;
    let lo = 0;
    let hi = v.length - 1;
    let found: KeyValue | null | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid]!.rev <= rev) {
        found = v[mid]!.kv;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found ?? undefined;
  }

  /** Keys in [key, end) present at `rev`, in key order. */
  range(key: string, end: string | undefined, rev: number): KeyValue[] {
    const out: KeyValue[] = [];
    for (const k of [...this.versions.keys()].sort()) {
      if (!inRange(k, key, end)) continue;
      const kv = this.get(k, rev);
      if (kv) out.push(kv);
    }
    return out;
  }

  keys(): string[] {
    return [...this.versions.keys()].sort();
  }

  /** Whether `rev` is a revision the log can answer for. */
  covers(rev: number): boolean {
    return rev >= this.log.startRevision && rev <= this.log.endRevision;
  }
}
