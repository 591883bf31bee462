// Every watch stream against the revision log, with the properties etcd's
// robustness tests check: ordered (revisions only go up), unique (no event twice),
// atomic (a revision's events arrive together, all of them), bookmarkable (a
// progress notification is never ahead of the events: nothing at or below it comes
// later), reliable (no gaps: every event in the watched range and span is there),
// resumable (a watch from revision R delivers exactly the events from R on),
// prev_kv correct (the key's previous value, or none), is-create correct (create
// revision and version say whether the key existed), filters respected.
import type { WatchEvent, WatchRecord } from '../history.js';
import { inRange } from '../history.js';
import { coverage, describeEvent, sameEvent, type Replay } from './log.js';

export interface WatchCheck {
  problems: string[];
  /** Events checked. */
  events: number;
}

function passes(w: WatchRecord, e: WatchEvent): boolean {
  if (!inRange(e.kv.key, w.key, w.end)) return false;
  if (e.type === 'PUT' && w.filters.includes('NOPUT')) return false;
  if (e.type === 'DELETE' && w.filters.includes('NODELETE')) return false;
  return true;
}

function kvString(kv: WatchEvent['kv'] | undefined): string {
  return kv === undefined ? 'none' : `${kv.key}=${JSON.stringify(kv.value)} (create ${kv.createRevision}, mod ${kv.modRevision}, version ${kv.version}, lease ${kv.lease})`;
}

export function checkWatch(w: WatchRecord, replay: Replay): WatchCheck {
  const problems: string[] = [];
  const name = `watch of client ${w.client} on ${w.endpoint} [${w.key}, ${w.end ?? ''}) from ${w.startRevision}${w.filters.length ? ` ${w.filters.join(',')}` : ''}`;
  const fail = (msg: string) => {
    if (problems.length < 10) problems.push(`${name}: ${msg}`);
  };
  const seen = new Set<string>();
  let lastEventRev = 0;
  let lastProgress = 0;
  let events = 0;
  const revsDelivered = new Map<number, number>(); // revision → index of the response that carried it
  w.responses.forEach((r, i) => {
    if (r.canceled && r.compactRevision > 0) {
      const next = Math.max(w.startRevision, lastEventRev + 1, lastProgress + 1);
      if (next >= r.compactRevision) fail(`canceled as compacted at ${r.compactRevision}, but it needed only revision ${next} on`);
    }
    if (r.progress) {
      if (r.revision < lastEventRev) fail(`progress notification at ${r.revision} after an event at ${lastEventRev}`);
      lastProgress = Math.max(lastProgress, r.revision);
    }
    for (const e of r.events) {
      events++;
      const rev = e.kv.modRevision;
      if (rev < lastEventRev) fail(`event ${describeEvent(e)} after one at revision ${lastEventRev}: out of order`);
      if (rev <= lastProgress) fail(`event ${describeEvent(e)} after a progress notification at ${lastProgress}`);
      if (rev < w.startRevision) fail(`event ${describeEvent(e)} before the watch's start revision`);
      if (rev > r.revision) fail(`event ${describeEvent(e)} in a response whose header revision is ${r.revision}`);
      const id = `${rev}\0${e.kv.key}`;
      if (seen.has(id)) fail(`event ${describeEvent(e)} delivered twice`);
      seen.add(id);
      const carried = revsDelivered.get(rev);
      if (carried !== undefined && carried !== i) fail(`revision ${rev}'s events split across responses`);
      revsDelivered.set(rev, i);
      lastEventRev = Math.max(lastEventRev, rev);
      if (!passes(w, e)) fail(`event ${describeEvent(e)} outside the watched range or filters`);
      if (!replay.covers(rev)) continue;
      // prev_kv and is-create, from the key's state just before.
      const before = replay.get(e.kv.key, rev - 1);
      if (w.prevKv) {
        const ok = before === undefined ? e.prevKv === undefined : e.prevKv !== undefined && JSON.stringify(e.prevKv) === JSON.stringify(before);
        if (!ok) fail(`event ${describeEvent(e)} has prev_kv ${kvString(e.prevKv)}, the key was ${kvString(before)}`);
      } else if (e.prevKv !== undefined) {
        fail(`event ${describeEvent(e)} carries a prev_kv nobody asked for`);
      }
      if (e.type === 'PUT') {
        const okCreate = before === undefined ? e.kv.createRevision === rev && e.kv.version === 1 : e.kv.createRevision === before.createRevision && e.kv.version === before.version + 1;
        if (!okCreate) fail(`event ${describeEvent(e)} has create revision ${e.kv.createRevision} and version ${e.kv.version}, but the key was ${kvString(before)}`);
      }
    }
  });
  // Atomic and reliable: over the span this stream saw, exactly the log's events (those the watch selects).
  const [from, to] = coverage(w);
  const upTo = Math.min(to, replay.log.endRevision);
  const got = new Map<number, WatchEvent[]>();
  for (const r of w.responses) for (const e of r.events) {
    let l = got.get(e.kv.modRevision);
    if (l === undefined) got.set(e.kv.modRevision, (l = []));
    l.push(e);
  }
  for (const [rev, all] of replay.log.events) {
    if (rev < Math.max(from, replay.log.startRevision + 1) || rev > upTo) continue;
    const want = all.filter((e) => passes(w, e));
    const have = got.get(rev) ?? [];
    if (want.length === 0 && have.length === 0) continue;
    if (have.length === 0) fail(`missed revision ${rev}: [${want.map(describeEvent).join(', ')}] (a gap)`);
    else if (have.length !== want.length || have.some((e, i) => !sameEvent(e, want[i]!))) {
      fail(`at revision ${rev} delivered [${have.map(describeEvent).join(', ')}], the log has [${want.map(describeEvent).join(', ')}]`);
    }
  }
  for (const rev of got.keys()) {
    if (rev <= upTo && rev > replay.log.startRevision && !replay.log.events.has(rev)) fail(`delivered revision ${rev}, which the log does not have`);
  }
  return { problems, events };
}
