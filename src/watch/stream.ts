// A watch stream: the watchers one client stream created, and the one outlet
// all their responses go through, in order. When the outlet reports it is backed
// up, the hub stops handing this stream live events (its watchers fall back to
// catching up from storage) until drained() says the outlet has room again.
import type { Event } from '../pb/kv.js';
import { fragments } from './fragment.js';
import type { WatchHub } from './hub.js';
import { ErrDuplicateWatchId, ErrEmptyWatcherRange, INVALID_WATCH_ID, result, type WatchCreate, type WatchResult } from './types.js';
import { Watcher } from './watcher.js';

/** Delivers one response; false: accepted, but send no more until drained(). */
export type WatchSend = (r: WatchResult) => boolean;

export interface WatchStreamOptions {
  progressIntervalMs: number;
  maxRequestBytes: number;
}

export class WatchStream {
  readonly watchers = new Map<number, Watcher>();
  /** True while the outlet is backed up. */
  blocked = false;
  /** @internal watchers of this stream still catching up; maintained by the hub. */
  unsyncedCount = 0;
  private progressPending = false;
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
    const start = req.startRevision && req.startRevision > 0 ? req.startRevision : rev + 1;
    const w = new Watcher(id, this, key, end, start, !!req.prevKv, !!req.progressNotify, !!req.fragment, req.filters ?? []);
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

  /** A progress notification for the whole stream, sent once every watcher has caught up. */
  requestProgress(): void {
    this.progressPending = true;
    this.maybeSendProgress();
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
    const r = result({ watchId: w.id, revision: rev, events });
    if (!w.fragment) this.send(r);
    else for (const part of fragments(r, this.opts.maxRequestBytes)) this.send(part);
  }

  /** @internal the watcher cannot resume: history it needs is compacted. */
  sendCompacted(w: Watcher, compactRev: number): void {
    // etcd leaves the header revision unset here and keeps the id taken until a cancel.
    this.send(result({ watchId: w.id, revision: 0, compactRevision: compactRev, canceled: true }));
  }

  /** @internal */
  maybeSendProgress(): void {
    if (!this.progressPending || this.unsyncedCount > 0 || this.closed) return;
    this.progressPending = false;
    this.send(result({ watchId: INVALID_WATCH_ID, revision: this.hub.store.rev() }));
  }

  private send(r: WatchResult): void {
    if (this.closed) return;
    if (!this.out(r)) this.blocked = true;
  }

  private startProgressTimer(): void {
    if (this.progressTimer !== undefined || this.closed) return;
    this.progressTimer = setInterval(() => this.progressTick(), this.opts.progressIntervalMs);
    this.progressTimer.unref?.();
  }

  private progressTick(): void {
    for (const w of this.watchers.values()) {
      if (!w.progressNotify) continue;
      // Only a synced watcher may be told a revision: it has been sent every event up to it.
      if (w.progressDue && w.state === 'synced' && !this.blocked) {
        this.send(result({ watchId: w.id, revision: this.hub.store.rev() }));
      }
      w.progressDue = true;
    }
  }
}
