// Key permissions as etcd's authpb defines them, and the question every request
// asks: is [key, rangeEnd) wholly covered by what the user's roles grant?
import { Buffer } from 'node:buffer';

export enum PermType {
  READ = 0,
  WRITE = 1,
  READWRITE = 2,
}

export interface Permission {
  permType: PermType;
  key: Uint8Array;
  rangeEnd: Uint8Array;
}

/** A half-open interval; `end` undefined means "to the end of the keyspace" (etcd's "\0" range end). */
interface Interval {
  begin: Buffer;
  end?: Buffer;
}

const grants = (p: PermType, want: PermType.READ | PermType.WRITE) => p === PermType.READWRITE || p === want;

/** etcd's conventions: empty range end is the single key; "\0" is everything from key on. */
function toInterval(key: Uint8Array, rangeEnd: Uint8Array): Interval {
  const begin = Buffer.from(key);
  if (rangeEnd.length === 0) return { begin, end: Buffer.concat([begin, Buffer.from([0])]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { begin };
  return { begin, end: Buffer.from(rangeEnd) };
}

/** Sorted, merged union of the intervals the permissions grant for `want`. */
export function grantedIntervals(perms: Permission[], want: PermType.READ | PermType.WRITE): Interval[] {
  const ivs = perms.filter((p) => grants(p.permType, want)).map((p) => toInterval(p.key, p.rangeEnd));
  ivs.sort((a, b) => Buffer.compare(a.begin, b.begin));
  const merged: Interval[] = [];
  for (const iv of ivs) {
    const last = merged[merged.length - 1];
    if (last && (last.end === undefined || Buffer.compare(iv.begin, last.end) <= 0)) {
      if (last.end !== undefined && (iv.end === undefined || Buffer.compare(iv.end, last.end) > 0)) last.end = iv.end;
    } else {
      merged.push({ begin: iv.begin, end: iv.end });
    }
  }
  return merged;
}

/** True when one merged interval covers the whole requested range. */
export function covers(granted: Interval[], key: Uint8Array, rangeEnd: Uint8Array): boolean {
  const want = toInterval(key, rangeEnd);
  // A request whose end is not after its key selects nothing: etcd lets it through.
  if (want.end !== undefined && Buffer.compare(want.end, want.begin) <= 0) return true;
  return granted.some(
    (g) => Buffer.compare(g.begin, want.begin) <= 0 && (g.end === undefined || (want.end !== undefined && Buffer.compare(want.end, g.end) <= 0)),
  );
}
