// WatchResponse by hand. One event goes to every watcher whose range holds its key,
// often many: each event is encoded once (its bytes kept with it) and each response
// is its header and fields around those shared bytes. The key-value inside an event
// is encoded once too; a put's is the very buffer the store wrote.
import type { Event, KeyValue, ResponseHeader } from './kv.js';
import { EventType } from './kv.js';
import { encodeKeyValue } from './keyvalue.js';
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

/**
 * Where an object keeps its encoding: a non-enumerable property, so the object reads,
 * compares and clones as before. A WeakMap did the same at several times the cost: a
 * fan-out looks each event up once per watcher, and every put's key-value was entered
 * in it, which the young-generation collector then had to walk.
 */
const WIRE = Symbol('wire');
type Wired = { [WIRE]?: Uint8Array };

function remember(o: object, bytes: Uint8Array): void {
  Object.defineProperty(o, WIRE, { value: bytes });
}

/** Records the encoding of a key-value already made (the store's), so events reuse it. */
export function rememberKeyValueBytes(kv: KeyValue, bytes: Uint8Array): void {
  remember(kv, bytes);
}

function keyValueBytes(kv: KeyValue): Uint8Array {
  let b = (kv as Wired)[WIRE];
  if (b === undefined) {
    b = encodeKeyValue(kv);
    remember(kv, b);
  }
  return b;
}

/** mvccpb.Event: type 1 (PUT omitted), kv 2, prev_kv 3; encoded once per event object. */
export function encodeEvent(ev: Event): Uint8Array {
  let b = (ev as Wired)[WIRE];
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
  remember(ev, b);
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

/**
 * The parts of an events-only WatchResponse that every watcher sent the same events at
 * the same revision shares: the header field and the events fields, each encoded once.
 * Such a response's bytes are `header`, then its watch_id field, then `events`.
 */
export class WatchEventsBody {
  constructor(
    readonly header: Uint8Array,
    readonly events: Uint8Array,
  ) {}
}

/** An events-only response as its shared body and its own watch ID (a fan-out's many responses). */
export interface SharedWatchResponse {
  readonly watchId: number;
  readonly body: WatchEventsBody;
}

/** The last body made, and the events it was made of: the next watcher of a fan-out gets the same. */
let lastBody: { header: Uint8Array; events: readonly Event[]; body: WatchEventsBody } | undefined;

/**
 * r as a shared body and its watch ID, or undefined when r is not a plain events response
 * (created, canceled, compacted, a fragment, no events, or the stream-wide ID -1).
 */
export function sharedWatchResponse(r: WatchResponseFields, header: ResponseHeader | undefined = r.header): SharedWatchResponse | undefined {
  if (header === undefined || r.created || r.canceled || r.compactRevision || r.cancelReason || r.fragment || r.events.length === 0 || r.watchId < 0) return undefined;
  const hb = headerBytes(header);
  const last = lastBody;
  if (last !== undefined && last.header === hb && sameEvents(last.events, r.events)) return { watchId: r.watchId, body: last.body };
  const body = new WatchEventsBody(hb, eventsFields(r.events));
  // The list is copied: a watcher's held events may still grow after this response.
  lastBody = { header: hb, events: r.events.slice(), body };
  return { watchId: r.watchId, body };
}

/** A response's events fields (events = 11, length-delimited), each event's bytes encoded once. */
function eventsFields(list: readonly Event[]): Uint8Array {
  const events = list.map(encodeEvent);
  let len = 0;
  for (const e of events) len += fieldLen(e.byteLength);
  const b = new Uint8Array(len);
  let pos = 0;
  for (const e of events) pos = writeBytesField(b, pos, 0x5a, e);
  if (pos !== len) throw new Error('pb: WatchResponse events length mismatch');
  return b;
}

function sameEvents(a: readonly Event[], b: readonly Event[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The wire bytes of a shared response: its body around its watch_id field. */
export function composeWatchResponse(header: Uint8Array, watchId: number, events: Uint8Array): Uint8Array {
  const idLen = watchId ? 1 + int64Len(watchId) : 0;
  const len = header.byteLength + idLen + events.byteLength;
  const b = Buffer.allocUnsafe(len);
  b.set(header, 0);
  let pos = header.byteLength;
  if (watchId) {
    b[pos++] = 0x10;
    pos = writeInt64(b, pos, watchId);
  }
  b.set(events, pos);
  if (pos + events.byteLength !== len) throw new Error('pb: WatchResponse encoding length mismatch');
  return b;
}

/** `header`, when given, stands in for r.header (spares the caller a copy of r per response). */
export function encodeWatchResponse(r: WatchResponseFields, header: ResponseHeader | undefined = r.header): Uint8Array {
  const hb = header ? headerBytes(header) : undefined;
  const events = r.events.length > 0 ? eventsFields(r.events) : undefined;
  const reason = r.cancelReason ? utf8.encode(r.cancelReason) : undefined;
  let len = hb ? hb.byteLength : 0;
  if (r.watchId) len += 1 + int64Len(r.watchId);
  if (r.created) len += 2;
  if (r.canceled) len += 2;
  if (r.compactRevision) len += 1 + int64Len(r.compactRevision);
  if (reason) len += fieldLen(reason.byteLength);
  if (r.fragment) len += 2;
  if (events) len += events.byteLength;
  // From Node's small-buffer pool, not a malloc per response. Every byte is written
  // below (asserted at the end).
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
  if (events) {
    b.set(events, pos);
    pos += events.byteLength;
  }
  if (pos !== len) throw new Error('pb: WatchResponse encoding length mismatch');
  return b;
}
