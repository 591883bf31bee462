// A key's history, newest first: each earlier version is read with a range at the
// revision just before the one already seen, back to the key's creation or to the
// compaction point. Pages by a revision cursor, so a key with a long history costs
// one small read per version shown.
import type { RangeCall } from './calls.js';
import { EtcdError, Errors } from '../rpctypes/errors.js';
import type { KeyValue } from '../pb/kv.js';

export const MAX_VERSIONS = 200;

export interface HistoryPage {
  /** Versions, newest first. */
  versions: KeyValue[];
  /** Why the page ends before `limit` versions (undefined: the limit was reached). */
  end?: 'created' | 'compacted' | 'absent';
  /** The revision the walk stopped at: the compact revision's neighbourhood, or where the key was absent. */
  endRevision?: number;
  /** Cursor for the next page: pass as `before`. */
  before?: number;
}

export async function keyHistory(range: RangeCall, key: Uint8Array, opts: { before?: number; limit: number }): Promise<HistoryPage> {
  const limit = Math.max(1, Math.min(opts.limit, MAX_VERSIONS));
  const versions: KeyValue[] = [];
  // 0 reads the current revision.
  let at = opts.before !== undefined ? opts.before - 1 : 0;
  while (versions.length < limit) {
    if (opts.before !== undefined && at < 1) return { versions, end: 'created', endRevision: 0 };
    let kv: KeyValue | undefined;
    try {
      kv = (await range({ key, revision: at })).kvs[0];
    } catch (err) {
      if (err instanceof EtcdError && err.message === Errors.Compacted.message) return { versions, end: 'compacted', endRevision: at };
      throw err;
    }
    if (kv === undefined) return { versions, end: 'absent', endRevision: at };
    versions.push(kv);
    if (kv.version === 1 && kv.createRevision === kv.modRevision) {
      // The first version of this generation: before it the key did not exist.
      return { versions, end: 'created', endRevision: kv.createRevision };
    }
    at = kv.modRevision - 1;
  }
  return { versions, before: versions[versions.length - 1]!.modRevision };
}
