// WatchResponse by hand. One event goes to every watcher whose range holds its key,
// often many: each event is encoded once (its bytes kept with it) and each response
// is its header and fields around those shared bytes. The key-value inside an event
// is encoded once too; a put's is the very buffer the store wrote.
import type { Event, KeyValue, ResponseHeader } from './kv.js';
import { EventType } from './kv.js';
import { encodeKeyValue, varintLen, writeVarint } from './keyvalue.js';
import { fieldLen, headerLen, int64Len, writeBytesField, writeHeader, writeInt64 } from './kv-wire.js';

export interface WatchResponseFields {
  header?: ResponseHeader;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: readonly Event[];
}

const kvBytes = new WeakMap<KeyValue, Uint8Array>();
const eventBytes = new WeakMap<Event, Uint8Array>();

/** Records the encoding of a key-value already made (the store's), so events reuse it. */
export function rememberKeyValueBytes(kv: KeyValue, bytes: Uint8Array): void {
  kvBytes.set(kv, bytes);
}

function keyValueBytes(kv: KeyValue): Uint8Array {
  let b = kvBytes.get(kv);
  if (b === undefined) {
    b = encodeKeyValue(kv);
    kvBytes.set(kv, b);
  }
  return b;
}

/** mvccpb.Event: type 1 (PUT omitted), kv 2, prev_kv 3; encoded once per event object. */
export function encodeEvent(ev: Event): Uint8Array {
  let b = eventBytes.get(ev);
  if (b !== undefined) return b;
  const kv = keyValueBytes(ev.kv);
  const prev = ev.prevKv ? keyValueBytes(ev.prevKv) : undefined;
  const len = (ev.type !== EventType.PUT ? 2 : 0) + fieldLen(kv.byteLength) + (prev ? fieldLen(prev.byteLength) : 0);
  b = new Uint8Array(len);
  let pos = 0;
  if (ev.type !== EventType.PUT) {
    b[pos++] = 0x08;
    b[pos++] = ev.type;
  }
  pos = writeBytesField(b, pos, 0x12, kv);
  if (prev) pos = writeBytesField(b, pos, 0x1a, prev);
  if (pos !== len) throw new Error('pb: Event encoding length mismatch');
  eventBytes.set(ev, b);
  return b;
}

const utf8 = new TextEncoder();

/**
 * The last header encoded for a watch response. A fan-out sends one header (the
 * same revision, term and IDs) to every watcher that gets the event.
 */
let lastHeader: { h: ResponseHeader; bytes: Uint8Array } | undefined;

function headerBytes(h: ResponseHeader): Uint8Array {
  const l = lastHeader?.h;
  if (l !== undefined && l.revision === h.revision && l.raftTerm === h.raftTerm && l.memberId === h.memberId && l.clusterId === h.clusterId) return lastHeader!.bytes;
  const len = headerLen(h);
  const bytes = new Uint8Array(fieldLen(len));
  if (writeHeader(bytes, 0, h, len) !== bytes.byteLength) throw new Error('pb: ResponseHeader encoding length mismatch');
  lastHeader = { h: { ...h }, bytes };
  return bytes;
}

/** `header`, when given, stands in for r.header (spares the caller a copy of r per response). */
export function encodeWatchResponse(r: WatchResponseFields, header: ResponseHeader | undefined = r.header): Uint8Array {
  const hb = header ? headerBytes(header) : undefined;
  const events = r.events.map(encodeEvent);
  const reason = r.cancelReason ? utf8.encode(r.cancelReason) : undefined;
  let len = hb ? hb.byteLength : 0;
  if (r.watchId) len += 1 + int64Len(r.watchId);
  if (r.created) len += 2;
  if (r.canceled) len += 2;
  if (r.compactRevision) len += 1 + int64Len(r.compactRevision);
  if (reason) len += fieldLen(reason.byteLength);
  if (r.fragment) len += 2;
  for (const e of events) len += 1 + varintLen(e.byteLength) + e.byteLength;
  // From Node's small-buffer pool, not a malloc per response: a fan-out makes one
  // response per watcher per event. Every byte is written below (asserted at the end).
  const b = Buffer.allocUnsafe(len);
  let pos = 0;
  if (hb) {
    b.set(hb, pos);
    pos += hb.byteLength;
  }
  if (r.watchId) {
    b[pos++] = 0x10;
    pos = writeInt64(b, pos, r.watchId);
  }
  if (r.created) {
    b[pos++] = 0x18;
    b[pos++] = 1;
  }
  if (r.canceled) {
    b[pos++] = 0x20;
    b[pos++] = 1;
  }
  if (r.compactRevision) {
    b[pos++] = 0x28;
    pos = writeInt64(b, pos, r.compactRevision);
  }
  if (reason) pos = writeBytesField(b, pos, 0x32, reason);
  if (r.fragment) {
    b[pos++] = 0x38;
    b[pos++] = 1;
  }
  for (const e of events) {
    b[pos++] = 0x5a; // events = 11, length-delimited
    pos = writeVarint(b, pos, e.byteLength);
    b.set(e, pos);
    pos += e.byteLength;
  }
  if (pos !== len) throw new Error('pb: WatchResponse encoding length mismatch');
  return b;
}
