// In-process shapes of a watch: what a stream asks for and what it is sent.
// They mirror etcdserverpb.WatchCreateRequest/WatchResponse without the header,
// which the API layer adds (it knows the member's identity; the hub does not).
import type { Event } from '../pb/kv.js';

export enum WatchFilter {
  NOPUT = 0,
  NODELETE = 1,
}

export interface WatchCreate {
  key: Uint8Array;
  /** Empty: the single key; [0]: every key ≥ key; otherwise [key, rangeEnd). */
  rangeEnd?: Uint8Array;
  /** 0: from the next revision. */
  startRevision?: number;
  progressNotify?: boolean;
  filters?: readonly WatchFilter[];
  prevKv?: boolean;
  /** 0: the stream picks one. */
  watchId?: number;
  fragment?: boolean;
}

export interface WatchResult {
  /** The header revision: events up to it have been sent to this watcher. */
  revision: number;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: Event[];
}

/** etcd's id for responses that belong to no watcher (clientv3.InvalidWatchID). */
export const INVALID_WATCH_ID = -1;

export const ErrDuplicateWatchId = 'mvcc: duplicate watch ID provided on the WatchStream';
export const ErrEmptyWatcherRange = 'mvcc: watcher range is empty';

export function result(partial: Partial<WatchResult> & { watchId: number; revision: number }): WatchResult {
  return {
    created: false,
    canceled: false,
    compactRevision: 0,
    cancelReason: '',
    fragment: false,
    events: [],
    ...partial,
  };
}
