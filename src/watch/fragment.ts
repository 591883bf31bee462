// Splitting a large watch response as etcd does for watchers that asked for
// fragments: events are packed until the encoded response would reach the
// request size limit; every part but the last carries fragment=true. A single
// event is never split, and a response that fits (or holds one event) goes whole.
import type { Event, KeyValue } from '../pb/kv.js';
import type { WatchResult } from './types.js';
import { varintLen } from '../pb/keyvalue.js';


const int64Len = (n: number): number => (n === 0 ? 0 : 1 + (n < 0 ? 10 : varintLen(n)));
const bytesLen = (n: number): number => (n === 0 ? 0 : 1 + varintLen(n) + n);

function kvSize(kv: KeyValue): number {
  const lease = kv.lease === 0n ? 0 : 1 + (kv.lease < 0n ? 10 : varintLen(Number(kv.lease)));
  return bytesLen(kv.key.byteLength) + int64Len(kv.createRevision) + int64Len(kv.modRevision) + int64Len(kv.version) + bytesLen(kv.value.byteLength) + lease;
}

function message(size: number): number {
  return 1 + varintLen(size) + size;
}

/** The encoded size of an mvccpb.Event. */
export function eventSize(ev: Event): number {
  let n = ev.type === 0 ? 0 : 2;
  n += message(kvSize(ev.kv));
  if (ev.prevKv !== undefined) n += message(kvSize(ev.prevKv));
  return n;
}

/** A generous bound on a WatchResponse's encoded size without its events (header included). */
const RESPONSE_OVERHEAD = 64;

export function fragments(r: WatchResult, maxBytes: number): WatchResult[] {
  if (r.events.length < 2) return [r];
  const sizes = r.events.map((e) => message(eventSize(e)));
  const total = sizes.reduce((a, b) => a + b, RESPONSE_OVERHEAD);
  if (total < maxBytes) return [r];
  const out: WatchResult[] = [];
  let start = 0;
  while (start < r.events.length) {
    let size = RESPONSE_OVERHEAD + sizes[start];
    let end = start + 1;
    while (end < r.events.length && size + sizes[end] < maxBytes) size += sizes[end++];
    out.push({ ...r, events: r.events.slice(start, end), fragment: end < r.events.length });
    start = end;
  }
  return out;
}
