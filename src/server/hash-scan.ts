// HashKV (and Hash) over a point-in-time view of the backend, a chunk of entries per
// event-loop turn. A store of a million keys takes seconds to hash; done in one go it
// would stall this member's Raft ticks and heartbeats, and a corruption check that asks
// every member at once would stall them all and cost the cluster its leader.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BackendView } from '../backend/backend.js';
import type { HashKVResult, MvccStore } from '../mvcc/index.js';

/** Entries hashed per turn: a few milliseconds of work. */
const CHUNK = 4096;
/** A compaction or snapshot install before or during a scan starts it over, this many times. */
const ATTEMPTS = 5;

export interface HashSource {
  /** The store now (a snapshot install replaces it). */
  mvcc(): MvccStore;
  /** Settles when a running snapshot install ends; undefined when none runs. */
  installing(): Promise<void> | undefined;
  /** Commits the batch, then opens a point-in-time view of the backend. */
  snapshotView(): Promise<BackendView>;
}

export class StoreChangedError extends Error {}

/**
 * The store's HashKV at `revision` (0: its current one); throws Compacted / FutureRev
 * as the store does. `refuseWhileInstalling`: peers asking during an install are told
 * so rather than kept waiting.
 */
export async function scanHashKV(src: HashSource, revision: number, refuseWhileInstalling = false): Promise<HashKVResult> {
  for (let attempt = 1; ; attempt++) {
    if (refuseWhileInstalling && src.installing()) throw new Error('etcdserver: a leader snapshot is being installed');
    for (let p = src.installing(); p; p = src.installing()) await p;
    const mvcc = src.mvcc();
    // Fixed before the view opens: the view then holds every revision the scan counts.
    const scan = mvcc.hashKVScan(revision);
    const view = await src.snapshotView();
    try {
      // A compaction in between may have removed revisions the scan still counts; an
      // install replaced the store. Either way the view no longer matches the scan.
      if (src.mvcc() !== mvcc || mvcc.compactRev() !== scan.compactRevision) {
        if (attempt < ATTEMPTS) continue;
        throw new StoreChangedError('etcdserver: the store kept changing under the hash; try again');
      }
      let n = 0;
      for (const [k, v] of view.range('key', scan.start, scan.end)) {
        scan.add(k, v);
        if (++n % CHUNK === 0) await nextTurn();
      }
      // The scan asks the live key index which compacted-range revisions count: a
      // compaction during it changed those answers part way.
      if (src.mvcc() !== mvcc || mvcc.compactRev() !== scan.compactRevision) {
        if (attempt < ATTEMPTS) continue;
        throw new StoreChangedError('etcdserver: the store kept changing under the hash; try again');
      }
      return scan.result();
    } finally {
      view.close();
    }
  }
}
