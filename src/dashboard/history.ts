// A key's history, newest first: each earlier version is read with a range at the
// revision just before the one already seen, back to the compaction point. Where a
// range finds the key absent, the deletion that ended its previous life is found in
// the key's event history, and the walk goes on before it. Pages by a revision
// cursor, so a key with a long history costs one small read per version shown.
import type { DeletionsCall, RangeCall } from './calls.js';
import { EtcdError, Errors } from '../rpctypes/errors.js';
import type { KeyValue } from '../pb/kv.js';

export const MAX_VERSIONS = 200;

/** A version of the key, or the deletion that ended one of its lives. */
export type HistoryEntry = { kind: 'put'; kv: KeyValue } | { kind: 'delete'; modRevision: number };

export interface HistoryPage {
  /** Versions and deletions, newest first. */
  entries: HistoryEntry[];
  /** Why the page ends before `limit` entries (undefined: the limit was reached). */
  end?: 'created' | 'compacted' | 'absent';
  /** The revision the walk stopped at: the compact revision's neighbourhood, or where the key was absent. */
  endRevision?: number;
  /** Cursor for the next page: pass as `before`. */
  before?: number;
}

export async function keyHistory(range: RangeCall, deletions: DeletionsCall, key: Uint8Array, opts: { before?: number; limit: number }): Promise<HistoryPage> {
  const limit = Math.max(1, Math.min(opts.limit, MAX_VERSIONS));
  const entries: HistoryEntry[] = [];
  // undefined reads the current revision (a range at revision 0); below 1 nothing was ever written.
  let at: number | undefined = opts.before !== undefined ? opts.before - 1 : undefined;
  // The key's deletions up to the first revision found absent, read once per page.
  let deleted: number[] | undefined;
  while (entries.length < limit) {
    if (at !== undefined && at < 1) {
      const oldest = entries[entries.length - 1];
      return { entries, end: 'created', endRevision: oldest?.kind === 'put' ? oldest.kv.createRevision : 0 };
    }
    let read;
    try {
      read = await range({ key, revision: at ?? 0 });
    } catch (err) {
      if (err instanceof EtcdError && err.message === Errors.Compacted.message) return { entries, end: 'compacted', endRevision: at };
      throw err;
    }
    const kv = read.kvs[0];
    if (kv !== undefined) {
      entries.push({ kind: 'put', kv });
      at = kv.modRevision - 1;
      continue;
    }
    const upto = at ?? Number(read.header?.revision ?? 0);
    deleted ??= await deletions(key, upto);
    const last = lastAtOrBelow(deleted, upto);
    if (last === undefined) {
      // No deletion: before this point the key never existed (or its deletion was compacted).
      const first = entries[entries.length - 1];
      return first?.kind === 'put' && first.kv.version === 1 ? { entries, end: 'created', endRevision: first.kv.createRevision } : { entries, end: 'absent', endRevision: upto };
    }
    entries.push({ kind: 'delete', modRevision: last });
    at = last - 1;
  }
  const oldest = entries[entries.length - 1]!;
  return { entries, before: oldest.kind === 'put' ? oldest.kv.modRevision : oldest.modRevision };
}

function lastAtOrBelow(sorted: number[], rev: number): number | undefined {
  for (let i = sorted.length - 1; i >= 0; i--) if (sorted[i]! <= rev) return sorted[i];
  return undefined;
}
