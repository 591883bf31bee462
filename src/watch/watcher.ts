// One watcher: a key range, the next revision it still has to see, and how its
// events are shaped (filters, prev_kv). It belongs to exactly one stream.
import { EventType, type Event } from '../pb/kv.js';
import { WatchFilter } from './types.js';
import type { WatchStream } from './stream.js';

/** Live events held for one watcher until the batch of writes ends. */
export interface Held {
  events: Event[];
  /** The first held revision: where the watcher resumes if its stream is backed up at the end. */
  firstRev: number;
  lastRev: number;
  bytes: number;
}

export type WatcherState = 'synced' | 'unsynced' | 'compacted' | 'canceled';

export class Watcher {
  /** The first revision whose events this watcher has not been sent yet. */
  minRev: number;
  state: WatcherState = 'unsynced';
  /** Cleared when events are sent, so a periodic progress notification is elided (as etcd). */
  progressDue = true;
  /** @internal live events the hub holds for this watcher until the batch of writes ends. */
  held: Held | undefined = undefined;
  readonly keyStr: string;
  private readonly noPut: boolean;
  private readonly noDelete: boolean;

  constructor(
    readonly id: number,
    readonly stream: WatchStream,
    readonly key: Buffer,
    /** undefined: the single key; empty: every key ≥ key. */
    readonly end: Buffer | undefined,
    /** The first revision to send. */
    fromRev: number,
    readonly prevKv: boolean,
    readonly progressNotify: boolean,
    readonly fragment: boolean,
    filters: readonly WatchFilter[],
    /** The start revision the client asked for; 0: none. */
    readonly requestedRev = 0,
  ) {
    this.minRev = fromRev;
    this.keyStr = key.toString('latin1');
    this.noPut = filters.includes(WatchFilter.NOPUT);
    this.noDelete = filters.includes(WatchFilter.NODELETE);
  }

  get isRange(): boolean {
    return this.end !== undefined;
  }

  contains(key: Uint8Array): boolean {
    if (this.end === undefined) return Buffer.compare(this.key, key) === 0;
    if (Buffer.compare(key, this.key) < 0) return false;
    return this.end.byteLength === 0 || Buffer.compare(key, this.end) < 0;
  }

  /** Whether the filters let this event through. */
  accepts(type: EventType): boolean {
    return type === EventType.PUT ? !this.noPut : !this.noDelete;
  }
}

/** etcd sends no prev_kv for a put that created its key. */
export function isCreateEvent(ev: Event): boolean {
  return ev.type === EventType.PUT && ev.kv.createRevision === ev.kv.modRevision;
}
