// One level of the key space as a tree by "/": the children of a prefix, each a
// key or a "directory" (the next segment up to and including its "/") with the
// number of keys under it. Pages by range limits and keys-only reads and skips
// over a directory's keys with one jump, so a level costs a few small reads
// whatever the size of the key space below it.
import { prefixEnd } from '../client/bytes.js';
import type { RangeCall } from './calls.js';

const SLASH = 0x2f;
/** Keys read per request while looking for the next children. */
const MIN_BATCH = 2;
const MAX_BATCH = 1000;
export const MAX_CHILDREN = 1000;

export interface TreeChild {
  /** The segment after the prefix: a key's remainder, or a directory's name ending in "/". */
  name: Uint8Array;
  /** The whole key, or the directory's prefix. */
  key: Uint8Array;
  dir: boolean;
  /** Keys under a directory; 1 for a key. */
  count: number;
}

export interface TreeLevel {
  /** Revision of the first read. */
  revision: number;
  /** Keys under the prefix (all levels below). */
  total: number;
  children: TreeChild[];
  /** Where the next page starts; undefined when this page reached the end. */
  next?: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The key right after k in byte order: k followed by a zero byte. */
function successor(k: Uint8Array): Uint8Array {
  return concat(k, Uint8Array.of(0));
}

function less(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) < 0;
}

/** Whether end is etcd's "to the end of the key space" range end. */
const isAll = (end: Uint8Array) => end.length === 1 && end[0] === 0;

/**
 * The segment of key after prefix: up to and including the first "/" past its first
 * byte (so "/registry/…" under "" is the directory "/registry/"), or all of it.
 */
function segment(key: Uint8Array, prefix: Uint8Array): { name: Uint8Array; dir: boolean } {
  const rest = key.subarray(prefix.length);
  const slash = rest.indexOf(SLASH, 1);
  return slash < 0 ? { name: rest, dir: false } : { name: rest.subarray(0, slash + 1), dir: true };
}

export async function treeLevel(range: RangeCall, prefix: Uint8Array, opts: { after?: Uint8Array; limit: number }): Promise<TreeLevel> {
  const limit = Math.max(1, Math.min(opts.limit, MAX_CHILDREN));
  const end = prefix.length === 0 ? Uint8Array.of(0) : prefixEnd(prefix);
  // An empty prefix starts at the smallest key, "\0".
  const start = prefix.length === 0 ? Uint8Array.of(0) : prefix;
  const totalRead = await range({ key: start, rangeEnd: end, countOnly: true });
  const revision = totalRead.header?.revision ?? 0;
  const children: TreeChild[] = [];
  let from: Uint8Array | undefined = opts.after !== undefined && less(start, opts.after) ? opts.after : start;
  // Whether a key is known to lie at or after `from` (then the next page is not empty).
  let moreKnown = false;
  // Reads after the first, linearizable one are served locally: they see at least its state.
  const local = { keysOnly: true, serializable: true };
  // Small reads while directories fill them (their keys are skipped), larger ones while keys do.
  let batch = MIN_BATCH;
  while (from !== undefined && children.length < limit && (isAll(end) || less(from, end))) {
    const r = await range({ key: from, rangeEnd: end, limit: Math.min(batch, limit - children.length + 1), ...local });
    if (r.kvs.length === 0) {
      from = undefined;
      break;
    }
    let last: TreeChild | undefined;
    let stopped = false;
    for (const kv of r.kvs) {
      // Keys inside the directory just listed belong to it.
      if (last?.dir && Buffer.compare(kv.key.subarray(0, last.key.length), last.key) === 0) continue;
      if (children.length === limit) {
        stopped = true;
        break;
      }
      const seg = segment(kv.key, prefix);
      last = { name: seg.name, key: seg.dir ? concat(prefix, seg.name) : kv.key, dir: seg.dir, count: 1 };
      children.push(last);
    }
    // The first key of a read always starts a child.
    if (last === undefined) throw new Error('dashboard: a tree read listed nothing');
    // Next read: past the last directory's keys, or right after the last key.
    from = last.dir ? prefixEnd(last.key) : successor(last.key);
    batch = last.dir ? MIN_BATCH : Math.min(MAX_BATCH, batch * 2);
    moreKnown = stopped;
    // The read saw every key left in the range, and each is listed or inside a listed directory.
    if (!stopped && !r.more) from = undefined;
  }
  // A full page names where the next starts only if a key lies there.
  if (from !== undefined && !moreKnown) {
    const probe = isAll(end) || less(from, end) ? await range({ key: from, rangeEnd: end, limit: 1, ...local }) : undefined;
    if (probe === undefined || probe.kvs.length === 0) from = undefined;
  }
  await Promise.all(
    children.map(async (c) => {
      if (c.dir) c.count = (await range({ key: c.key, rangeEnd: prefixEnd(c.key), countOnly: true, serializable: true })).count;
    }),
  );
  return { revision, total: totalRead.count, children, next: from };
}
