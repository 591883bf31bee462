// A watch stream: the watchers one client stream created, and the one outlet
// all their responses go through, in order. When the outlet reports it is backed
// up, the hub stops handing this stream live events (its watchers fall back to
// catching up from storage) until drained() says the outlet has room again.
import type { Event } from '../pb/kv.js';
import { fragments } from './fragment.js';
import type { WatchHub } from './hub.js';
import { ErrCompactedReason, ErrDuplicateWatchId, ErrEmptyWatcherRange, INVALID_WATCH_ID, result, type WatchCreate, type WatchResult, type WatchRules } from './types.js';
import { Watcher } from './watcher.js';

/** Delivers one response; false: accepted, but send no more until drained(). */
export type WatchSend = (r: WatchResult) => boolean;

export interface WatchStreamOptions {
  /** Period of progress notifications for watchers that asked for them, before etcd's jitter. */
  progressIntervalMs: number;
  maxRequestBytes: number;
  rules: WatchRules;
  /** In [0, 1): picks the stream's jitter of up to a tenth of the period, as etcd does. */
  random: () => number;
}

export class WatchStream {
  readonly watchers = new Map<number, Watcher>();
  /** True while the outlet is backed up. */
  blocked = false;
  /** @internal watchers of this stream still catching up; maintained by the hub. */
  unsyncedCount = 0;
  private nextId = 0;
  private progressTimer?: NodeJS.Timeout;
  private closed = false;

  /** @internal */
  constructor(
    private readonly hub: WatchHub,
    private readonly out: WatchSend,
    private readonly opts: WatchStreamOptions,
  ) {}

  /** Creates a watcher; its created response (or etcd's refusal) is sent before any of its events. */
  watch(req: WatchCreate): WatchResult {
    const rev = this.hub.store.rev();
    const requested = req.startRevision ?? 0;
    if (requested < 0 && this.opts.rules.refuseNegativeStartRevision && !this.closed) {
      const r = result({ watchId: INVALID_WATCH_ID, revision: rev, created: true, canceled: true, cancelReason: ErrCompactedReason });
      this.send(r);
      return r;
    }
    const key = Buffer.from(req.key.byteLength === 0 ? [0] : req.key);
    const re = req.rangeEnd ?? new Uint8Array(0);
    // Empty range end: one key; a single zero byte: every key from key on.
    const end = re.byteLength === 0 ? undefined : re.byteLength === 1 && re[0] === 0 ? Buffer.alloc(0) : Buffer.from(re);
    let error = '';
    if (this.closed || (end !== undefined && end.byteLength > 0 && Buffer.compare(key, end) >= 0)) error = ErrEmptyWatcherRange;
    let id = req.watchId ?? 0;
    if (!error && id !== 0 && this.watchers.has(id)) error = ErrDuplicateWatchId;
    if (error) {
      const r = result({ watchId: INVALID_WATCH_ID, revision: rev, created: true, canceled: true, cancelReason: error });
      this.send(r);
      return r;
    }
    if (id === 0) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const w = new Watcher(id, this, key, end, this.fromRevision(requested, rev), !!req.prevKv, !!req.progressNotify, !!req.fragment, req.filters ?? [], requested);
    this.watchers.set(id, w);
    const created = result({ watchId: id, revision: rev, created: true });
    this.send(created);
    this.hub.add(w);
    if (w.progressNotify) this.startProgressTimer();
    return created;
  }

  /** Cancels a watcher; false (and nothing sent) if this stream has no such watcher. */
  cancel(id: number): boolean {
    const w = this.watchers.get(id);
    if (w === undefined) return false;
    this.watchers.delete(id);
    this.hub.remove(w);
    this.send(result({ watchId: id, revision: this.hub.store.rev(), canceled: true }));
    return true;
  }

  /**
   * A progress notification for the whole stream (watch ID -1). With progressAfterSync it is
   * sent only if every watcher has been sent all events up to the store's revision (and none
   * starts beyond it), else dropped: it would run ahead of events still to come, and the
   * client asks again. A stream without watchers has nothing to report.
   */
  requestProgress(): void {
    if (this.closed) return;
    const rev = this.hub.store.rev();
    if (!this.opts.rules.progressAfterSync) {
      this.send(result({ watchId: INVALID_WATCH_ID, revision: rev }));
      return;
    }
    if (this.watchers.size === 0 || this.unsyncedCount > 0 || this.blocked) return;
    for (const w of this.watchers.values()) if (w.state !== 'synced' || !this.progressAllowed(w, rev)) return;
    this.send(result({ watchId: INVALID_WATCH_ID, revision: rev }));
  }

  /** The outlet has room again. */
  drained(): void {
    if (!this.blocked || this.closed) return;
    this.blocked = false;
    this.hub.streamDrained(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const w of this.watchers.values()) this.hub.remove(w);
    this.watchers.clear();
    this.hub.streamClosed(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  sendEvents(w: Watcher, events: Event[], rev: number): void {
    w.progressDue = false;
    this.hub.eventsSent += events.length;
    const r: WatchResult = { revision: rev, watchId: w.id, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events };
    if (!w.fragment) this.send(r);
    else for (const part of fragments(r, this.opts.maxRequestBytes)) this.send(part);
  }

  /** @internal the watcher cannot resume: history it needs is compacted. */
  sendCompacted(w: Watcher, compactRev: number): void {
    // etcd leaves the header revision unset here and keeps the id taken until a cancel.
    this.send(result({ watchId: w.id, revision: 0, compactRevision: compactRev, canceled: true }));
  }

  /** Where a watcher starts: the revision asked for, or the next one; etcd 3.4's reading of a negative one. */
  private fromRevision(requested: number, rev: number): number {
    if (requested > 0) return requested;
    // etcd 3.4: below the compaction revision (-1 until the first compaction) the watcher is
    // canceled as compacted by the catch-up; otherwise it watches from now.
    if (requested < 0 && requested < this.hub.store.compactRev()) return requested;
    return rev + 1;
  }

  /** A watcher on a future revision hears no progress below it (etcd 3.6.2). */
  private progressAllowed(w: Watcher, rev: number): boolean {
    return !this.opts.rules.noProgressBeforeStartRevision || rev >= w.requestedRev;
  }

  private send(r: WatchResult): void {
    if (this.closed) return;
    if (!this.out(r)) this.blocked = true;
  }

  private startProgressTimer(): void {
    if (this.progressTimer !== undefined || this.closed) return;
    // etcd adds up to a tenth of the period, so that watchers created together spread out.
    const interval = this.opts.progressIntervalMs;
    const jitter = Math.floor(this.opts.random() * Math.floor(interval / 10));
    this.progressTimer = setInterval(() => this.progressTick(), interval + jitter);
    this.progressTimer.unref?.();
  }

  private progressTick(): void {
    const rev = this.hub.store.rev();
    for (const w of this.watchers.values()) {
      if (!w.progressNotify) continue;
      // Only a synced watcher may be told a revision: it has been sent every event up to it.
      if (w.progressDue && w.state === 'synced' && !this.blocked && this.progressAllowed(w, rev)) {
        this.send(result({ watchId: w.id, revision: rev }));
      }
      w.progressDue = true;
    }
  }
}
