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

/**
 * Where etcd releases differ in what a watch stream sends. Each rule is a fix of a later
 * release; LATEST_WATCH_RULES has them all (etcd 3.6.14), etcd 3.4.23 has none.
 */
export interface WatchRules {
  /**
   * A requested progress notification goes out only while every watcher of the stream has
   * been sent all events up to the store's revision, and is dropped otherwise: the client
   * asks again (etcd 3.4.31, 3.5.13). Without: it goes out at once at the store's revision,
   * possibly ahead of events still to come for an unsynced watcher (etcd 3.4.23).
   */
  progressAfterSync: boolean;
  /** No progress notification below a watcher's start revision (a watch on a future revision). */
  noProgressBeforeStartRevision: boolean;
  /** A negative start revision is refused: created and canceled, with the "compacted" reason. */
  refuseNegativeStartRevision: boolean;
}

export const LATEST_WATCH_RULES: WatchRules = { progressAfterSync: true, noProgressBeforeStartRevision: true, refuseNegativeStartRevision: true };

/** etcd's reason for refusing a negative start revision (rpctypes.ErrCompacted). */
export const ErrCompactedReason = 'etcdserver: mvcc: required revision has been compacted';

/** etcd's id for responses that belong to no watcher (clientv3.InvalidWatchID). */
export const INVALID_WATCH_ID = -1;

export const ErrDuplicateWatchId = 'mvcc: duplicate watch ID provided on the WatchStream';
export const ErrEmptyWatcherRange = 'mvcc: watcher range is empty';

export function result(partial: Partial<WatchResult> & { watchId: number; revision: number }): WatchResult {
  // One literal in WatchResult's field order: every result shares one shape, which keeps
  // the encoder's property loads monomorphic on the fan-out path.
  return {
    revision: partial.revision,
    watchId: partial.watchId,
    created: partial.created ?? false,
    canceled: partial.canceled ?? false,
    compactRevision: partial.compactRevision ?? 0,
    cancelReason: partial.cancelReason ?? '',
    fragment: partial.fragment ?? false,
    events: partial.events ?? [],
  };
}
