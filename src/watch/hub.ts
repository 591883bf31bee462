// The watch hub: every watcher is either synced (it has been sent every event up
// to the store's revision, and gets new ones live from store.onWrite) or unsynced
// (it still needs history, read back from the key bucket in bounded rounds).
// A watcher whose stream is backed up when a live event arrives becomes unsynced
// at that event's revision, so nothing is dropped, reordered or sent twice, and
// a slow stream holds at most what its outlet accepted before saying "full".
// Writes applied together (one batch of committed entries) reach each watcher as
// one response holding all its events of the batch, as etcd's catch-up responses
// hold several revisions: a fan-out sends a response per watcher per batch, not
// per event, which is what keeps a busy watcher's client from falling behind.
import type { Event } from '../pb/kv.js';
import type { MvccStore } from '../mvcc/store.js';
import { prevKvAt, readEvents } from './history.js';
import { WatchStream, type WatchSend } from './stream.js';
import { LATEST_WATCH_RULES, type WatchRules } from './types.js';
import { isCreateEvent, type Held, type Watcher } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';

export interface WatchHubOptions {
  /** Period of progress notifications for watchers that asked for them; etcd's is 10 minutes. */
  progressIntervalMs?: number;
  /** Responses of watchers that asked for fragments are split at this size (--max-request-bytes). */
  maxRequestBytes?: number;
  /** Revisions read from storage per catch-up round. */
  maxRevsPerSync?: number;
  /** Unsynced watchers served per catch-up round (etcd's maxWatchersPerSync). */
  maxWatchersPerSync?: number;
  /** Which etcd release's watch behaviour to follow; default the latest. */
  rules?: WatchRules;
  /** Randomness for the progress period's jitter; tests pin it. */
  random?: () => number;
}

export interface WatchHubStats {
  streams: number;
  synced: number;
  unsynced: number;
  eventsSent: number;
}

/** A watcher's held events are sent early once they reach this many bytes of keys and values. */
const HOLD_MAX_BYTES = 64 * 1024;
/** …or this many events. */
const HOLD_MAX_EVENTS = 256;

const DEFAULTS = {
  progressIntervalMs: 10 * 60 * 1000,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxRevsPerSync: 1000,
  maxWatchersPerSync: 512,
  rules: LATEST_WATCH_RULES,
  random: Math.random,
};

export class WatchHub {
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new Set<Watcher>();
  /** Scratch list of the watchers one event matches; emptied after each use. */
  private readonly matched: Watcher[] = [];
  private readonly streams = new Set<WatchStream>();
  /** Events handed to streams since start (etcd_debugging_mvcc_events_total). */
  eventsSent = 0;
  private readonly opts: typeof DEFAULTS;
  private unsubscribe: () => void;
  private syncScheduled = false;
  private closed = false;
  /** Depth of batch() calls; while above zero, live events are held per watcher. */
  private batching = 0;
  /** The watchers given a Held in this batch (Watcher.held), in that order; one may appear twice. */
  private readonly holding: Watcher[] = [];
  /** A snapshot install is rewriting the store's backend: catch-up reads wait for restore() or thaw(). */
  private frozen = false;
  private current: MvccStore;

  constructor(store: MvccStore, opts: WatchHubOptions = {}) {
    this.opts = { ...DEFAULTS, ...opts };
    this.current = store;
    this.unsubscribe = store.onWrite((events, rev) => this.notify(events, rev));
  }

  get store(): MvccStore {
    return this.current;
  }

  /**
   * The store was replaced (a snapshot from the leader was installed). As etcd's
   * watchable store does on restore, every synced watcher goes back to catching up,
   * now from the new store: it gets the events after the last one it was sent, or,
   * when the new store compacted them away, a cancel with the compacted revision.
   */
  restore(store: MvccStore): void {
    if (this.closed) throw new Error('watch: hub is closed');
    this.frozen = false;
    this.unsubscribe();
    this.current = store;
    this.unsubscribe = store.onWrite((events, rev) => this.notify(events, rev));
    const synced: Watcher[] = [];
    this.synced.forEach((w) => synced.push(w));
    for (const w of synced) this.setUnsynced(w, w.minRev);
    this.scheduleSync();
  }

  /**
   * The store's backend is about to be replaced under it (a snapshot install, written a
   * batch at a time): until restore() or thaw(), no catch-up reads it. A read in between
   * would see neither the old history nor the new, and a watcher would be moved past
   * revisions it was never sent.
   */
  freeze(): void {
    this.frozen = true;
  }

  /** The install ended without a new store (it failed): catch-up resumes on the current one. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.scheduleSync();
  }

  openStream(send: WatchSend): WatchStream {
    if (this.closed) throw new Error('watch: hub is closed');
    const s = new WatchStream(this, send, { progressIntervalMs: this.opts.progressIntervalMs, maxRequestBytes: this.opts.maxRequestBytes, rules: this.opts.rules, random: this.opts.random });
    this.streams.add(s);
    return s;
  }

  stats(): WatchHubStats {
    return { streams: this.streams.size, synced: this.synced.size, unsynced: this.unsynced.size, eventsSent: this.eventsSent };
  }

  close(): void {
    if (this.closed) return;
    for (const s of [...this.streams]) s.close();
    this.closed = true;
    this.unsubscribe();
  }

  /**
   * Runs `apply` (which writes to the store) and then sends each synced watcher
   * the events it matched as one response, whose revision is the last one's.
   */
  batch<T>(apply: () => T): T {
    this.batching++;
    try {
      return apply();
    } finally {
      if (--this.batching === 0) this.releaseHeld();
    }
  }

  /** @internal a new watcher: live at once if it wants nothing from history. */
  add(w: Watcher): void {
    if (w.minRev > this.store.rev()) this.setSynced(w);
    else {
      w.state = 'unsynced';
      this.unsynced.add(w);
      w.stream.unsyncedCount++;
      this.scheduleSync();
    }
  }

  /** @internal */
  remove(w: Watcher): void {
    if (w.state === 'synced') this.synced.delete(w);
    else if (w.state === 'unsynced') this.leaveUnsynced(w);
    w.state = 'canceled';
  }

  /** @internal */
  streamDrained(_s: WatchStream): void {
    this.scheduleSync();
  }

  /** @internal */
  streamClosed(s: WatchStream): void {
    this.streams.delete(s);
  }

  private setSynced(w: Watcher): void {
    if (w.state === 'unsynced') this.leaveUnsynced(w);
    w.state = 'synced';
    this.synced.add(w);
  }

  private setUnsynced(w: Watcher, minRev: number): void {
    this.synced.delete(w);
    w.state = 'unsynced';
    w.minRev = minRev;
    this.unsynced.add(w);
    w.stream.unsyncedCount++;
  }

  private leaveUnsynced(w: Watcher): void {
    if (!this.unsynced.delete(w)) return;
    w.stream.unsyncedCount--;
  }

  /** Live delivery of one write txn's events (all of revision rev). */
  private notify(events: readonly Event[], rev: number): void {
    if (this.synced.size === 0) return;
    if (events.length === 1) return this.notifyOne(events[0]!, rev);
    const batches = new Map<Watcher, Event[]>();
    for (const ev of events) {
      const key = ev.kv.key;
      const keyStr = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
      let plain: Event | undefined;
      let withPrev: Event | undefined;
      this.synced.forEachMatch(key, keyStr, (w) => {
        if (rev < w.minRev || !w.accepts(ev.type)) return;
        const shaped = w.prevKv ? (withPrev ??= liveShape(ev, true)) : (plain ??= liveShape(ev, false));
        const b = batches.get(w);
        if (b === undefined) batches.set(w, [shaped]);
        else b.push(shaped);
      });
    }
    let fellBehind = false;
    for (const [w, evs] of batches) fellBehind = !this.deliverLive(w, evs, rev, listBytes(evs)) || fellBehind;
    if (fellBehind) this.scheduleSync();
  }

  /**
   * notify for a write of one event, the common case: every watcher that takes it is
   * sent the same one-element list (one per shape), with no per-watcher batch.
   */
  private notifyOne(ev: Event, rev: number): void {
    const key = ev.kv.key;
    const keyStr = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const matched = this.matched;
    this.synced.forEachMatch(key, keyStr, (w) => {
      if (rev >= w.minRev && w.accepts(ev.type)) matched.push(w);
    });
    let plain: Event[] | undefined;
    let withPrev: Event[] | undefined;
    let plainBytes = 0;
    let withPrevBytes = 0;
    let fellBehind = false;
    for (const w of matched) {
      let delivered: boolean;
      if (w.prevKv) {
        if (withPrev === undefined) withPrevBytes = listBytes((withPrev = [liveShape(ev, true)]));
        delivered = this.deliverLive(w, withPrev, rev, withPrevBytes);
      } else {
        if (plain === undefined) plainBytes = listBytes((plain = [liveShape(ev, false)]));
        delivered = this.deliverLive(w, plain, rev, plainBytes);
      }
      fellBehind = !delivered || fellBehind;
    }
    matched.length = 0;
    if (fellBehind) this.scheduleSync();
  }

  /**
   * Sends (or, inside batch(), holds) a synced watcher's events of revision rev; false
   * (and the watcher falls back to catching up) when its stream is backed up.
   */
  private deliverLive(w: Watcher, evs: Event[], rev: number, bytes: number): boolean {
    if (w.stream.blocked) {
      this.fallBehind(w, w.held?.firstRev ?? rev);
      return false;
    }
    if (this.batching === 0) {
      w.stream.sendEvents(w, evs, rev);
      w.minRev = rev + 1;
      return true;
    }
    let h = w.held;
    if (h === undefined) {
      h = { events: [], firstRev: rev, lastRev: rev, bytes: 0 };
      w.held = h;
      this.holding.push(w);
    }
    for (const ev of evs) h.events.push(ev);
    h.bytes += bytes;
    h.lastRev = rev;
    if (h.bytes >= HOLD_MAX_BYTES || h.events.length >= HOLD_MAX_EVENTS) this.sendHeld(w, h);
    return true;
  }

  /** Its stream is backed up: nothing held for the watcher was sent, so it catches up from `fromRev`. */
  private fallBehind(w: Watcher, fromRev: number): void {
    w.held = undefined;
    this.setUnsynced(w, fromRev);
  }

  /** The batch ended: every watcher still synced gets what was held for it. */
  private releaseHeld(): void {
    let fellBehind = false;
    const holding = this.holding;
    for (let i = 0; i < holding.length; i++) {
      const w = holding[i]!;
      const h = w.held;
      // Sent already (a full hold), or fallen behind; or it left the synced set since
      // (canceled, or its store replaced) and resumes from minRev.
      if (h === undefined) continue;
      w.held = undefined;
      if (w.state !== 'synced') continue;
      if (w.stream.blocked) {
        this.fallBehind(w, h.firstRev);
        fellBehind = true;
      } else {
        this.sendHeld(w, h);
      }
    }
    holding.length = 0;
    if (fellBehind) this.scheduleSync();
  }

  private sendHeld(w: Watcher, h: Held): void {
    w.held = undefined;
    if (w.minRev > h.firstRev) throw new Error(`watch: held events from ${h.firstRev} for a watcher already at ${w.minRev}`);
    w.stream.sendEvents(w, h.events, h.lastRev);
    w.minRev = h.lastRev + 1;
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.closed) return;
    this.syncScheduled = true;
    setImmediate(() => {
      this.syncScheduled = false;
      // restore() or thaw() schedules the round again.
      if (!this.closed && !this.frozen) this.syncRound();
    });
  }

  /** One bounded catch-up round for the unsynced watchers whose streams have room. */
  private syncRound(): void {
    const cur = this.store.rev();
    const compactRev = this.store.compactRev();
    const chosen: Watcher[] = [];
    for (const w of this.unsynced) {
      if (w.stream.blocked) continue;
      // Below the compaction the history is gone; at it, the revision's own changes are
      // still stored (etcd's rule: only minRev < compactRev is compacted; -1 before any).
      if (w.minRev < compactRev) {
        this.leaveUnsynced(w);
        w.state = 'compacted';
        w.stream.sendCompacted(w, compactRev);
        continue;
      }
      if (w.minRev > cur) {
        this.setSynced(w);
        continue;
      }
      chosen.push(w);
      if (chosen.length >= this.opts.maxWatchersPerSync) break;
    }
    if (chosen.length > 0) {
      let from = Infinity;
      for (const w of chosen) from = Math.min(from, w.minRev);
      const to = Math.min(cur, from + this.opts.maxRevsPerSync - 1);
      const group = new WatcherGroup();
      for (const w of chosen) group.add(w);
      const batches = new Map<Watcher, Event[]>();
      for (const ev of readEvents(this.store, from, to)) {
        const key = ev.kv.key;
        const keyStr = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
        group.forEachMatch(key, keyStr, (w) => {
          if (ev.kv.modRevision < w.minRev || !w.accepts(ev.type)) return;
          let shaped = ev;
          if (w.prevKv && !isCreateEvent(ev)) {
            const prev = prevKvAt(this.store, key, ev.kv.modRevision);
            shaped = prev === undefined ? ev : { ...ev, prevKv: prev };
          }
          const b = batches.get(w);
          if (b === undefined) batches.set(w, [shaped]);
          else b.push(shaped);
        });
      }
      for (const w of chosen) {
        // A stream that filled up during this round keeps the rest for a later one.
        if (w.stream.blocked || w.state !== 'unsynced' || w.minRev > to) continue;
        const evs = batches.get(w);
        if (evs !== undefined) w.stream.sendEvents(w, evs, to);
        w.minRev = to + 1;
        if (w.minRev > cur) this.setSynced(w);
      }
    }
    for (const w of this.unsynced) {
      if (!w.stream.blocked) {
        this.scheduleSync();
        break;
      }
    }
  }
}

/** Bytes of keys and values in a list of events, counted toward HOLD_MAX_BYTES. */
function listBytes(evs: readonly Event[]): number {
  let n = 0;
  for (const ev of evs) n += ev.kv.key.byteLength + ev.kv.value.byteLength + (ev.prevKv ? ev.prevKv.key.byteLength + ev.prevKv.value.byteLength : 0);
  return n;
}

/** An event as a live watcher gets it: prev_kv only for watchers that asked, and never on a create. */
function liveShape(ev: Event, prevKv: boolean): Event {
  return prevKv && !isCreateEvent(ev) ? { type: ev.type, kv: ev.kv, prevKv: ev.prevKv } : { type: ev.type, kv: ev.kv };
}
