// raftpb on the wire: Raft messages, entries, conf changes, hard state and snapshots
// encoded as etcd 3.4's gogo-generated code encodes them (proto2, non-nullable
// scalars always written, fields in number order), so that etcd members and
// etcd-ts members read each other's messages and log entries byte for byte.
// Decoding follows gogo's rules: fields in any order, unknown fields skipped, the
// wrong wire type for a known field is an error. Terms and indexes are JS numbers
// (a value past 2^53 is refused as corrupt); member IDs are bigints.

import {
  EntryType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
} from './types.js';

const WT_VARINT = 0;
const WT_FIXED64 = 1;
const WT_BYTES = 2;
const WT_FIXED32 = 5;


// ---- sizes ---------------------------------------------------------------------------

function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

/**
 * Member IDs as varints, cached: a cluster has a handful of them and every message
 * carries two, so their bigint arithmetic is done once per ID rather than per message.
 */
const idCache = new Map<NodeId, Uint8Array>();
const ID_CACHE_MAX = 256;

function idBytes(id: NodeId): Uint8Array {
  let b = idCache.get(id);
  if (b) return b;
  const u = BigInt.asUintN(64, id);
  let lo = Number(u & 0xffffffffn);
  let hi = Number(u >> 32n);
  const out: number[] = [];
  while (hi > 0 || lo >= 0x80) {
    out.push((lo & 0x7f) | 0x80);
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  out.push(lo);
  b = Uint8Array.from(out);
  if (idCache.size >= ID_CACHE_MAX) idCache.clear();
  idCache.set(id, b);
  return b;
}

function idSize(id: NodeId): number {
  return id >= 0n && id < 0x80n ? 1 : idBytes(id).length;
}

function bytesFieldSize(tagSize: number, len: number): number {
  return tagSize + uvarintSize(len) + len;
}

/** The encoded size of an Entry message (what gogo's Entry.Size() returns). */
export function entryEncodedSize(e: Entry): number {
  let n = 1 + uvarintSize(e.type) + 1 + uvarintSize(e.term) + 1 + uvarintSize(e.index);
  if (e.data.length > 0) n += bytesFieldSize(1, e.data.length);
  return n;
}

function confStateSize(cs: ConfState): number {
  let n = 2; // auto_leave, always written
  for (const id of cs.voters) n += 1 + idSize(id);
  for (const id of cs.learners) n += 1 + idSize(id);
  return n;
}

function metadataSize(md: SnapshotMetadata): number {
  const cs = confStateSize(md.confState);
  return bytesFieldSize(1, cs) + 1 + uvarintSize(md.index) + 1 + uvarintSize(md.term);
}

function snapshotSize(s: Snapshot | undefined): number {
  if (!s) return EMPTY_SNAPSHOT_SIZE;
  let n = bytesFieldSize(1, metadataSize(s.metadata));
  if (s.data.length > 0) n += bytesFieldSize(1, s.data.length);
  return n;
}

const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };
const EMPTY_SNAPSHOT_SIZE = bytesFieldSize(1, metadataSize({ index: 0, term: 0, confState: EMPTY_CONF_STATE }));

/** The encoded size of a Message (gogo's Message.Size()). */
export function messageEncodedSize(m: Message): number {
  let n = 1 + uvarintSize(m.type) + 1 + idSize(m.to) + 1 + idSize(m.from);
  n += 1 + uvarintSize(m.term) + 1 + uvarintSize(m.logTerm) + 1 + uvarintSize(m.index);
  for (const e of m.entries) n += bytesFieldSize(1, entryEncodedSize(e));
  n += 1 + uvarintSize(m.commit);
  n += bytesFieldSize(1, snapshotSize(m.snapshot));
  n += 2 + 1 + uvarintSize(m.rejectHint);
  if (m.context !== undefined) n += bytesFieldSize(1, m.context.length);
  return n;
}

// ---- writing -------------------------------------------------------------------------

/** Writes into a buffer sized in advance: every message's size is known before it is written. */
export class PbWriter {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }
  tag(field: number, wt: number): void {
    this.uvarint((field << 3) | wt);
  }
  uvarint(v: number): void {
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }
  id(id: NodeId): void {
    if (id < 0x80n && id >= 0n) {
      this.buf[this.pos++] = Number(id);
      return;
    }
    const v = idBytes(id);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < v.length; i++) b[p++] = v[i]!;
    this.pos = p;
  }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WT_BYTES);
    this.uvarint(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
}

export function writeEntry(w: PbWriter, e: Entry): void {
  w.buf[w.pos++] = 0x08;
  w.uvarint(e.type);
  w.buf[w.pos++] = 0x10;
  w.uvarint(e.term);
  w.buf[w.pos++] = 0x18;
  w.uvarint(e.index);
  if (e.data.length > 0) w.bytes(4, e.data);
}

function writeConfState(w: PbWriter, cs: ConfState): void {
  for (const id of cs.voters) {
    w.buf[w.pos++] = 0x08;
    w.id(id);
  }
  for (const id of cs.learners) {
    w.buf[w.pos++] = 0x10;
    w.id(id);
  }
  w.buf[w.pos++] = 0x28;
  w.buf[w.pos++] = 0;
}

function writeMetadata(w: PbWriter, md: SnapshotMetadata): void {
  w.tag(1, WT_BYTES);
  w.uvarint(confStateSize(md.confState));
  writeConfState(w, md.confState);
  w.buf[w.pos++] = 0x10;
  w.uvarint(md.index);
  w.buf[w.pos++] = 0x18;
  w.uvarint(md.term);
}

function writeSnapshot(w: PbWriter, s: Snapshot | undefined): void {
  if (s && s.data.length > 0) w.bytes(1, s.data);
  const md = s?.metadata ?? { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  w.tag(2, WT_BYTES);
  w.uvarint(metadataSize(md));
  writeMetadata(w, md);
}

/**
 * Field 9 of a message without a snapshot: gogo's non-nullable field is written on every
 * message (heartbeats and appends too), always as these few bytes, so they are copied
 * rather than encoded again.
 */
const EMPTY_SNAPSHOT_FIELD: Uint8Array = (() => {
  const w = new PbWriter(new Uint8Array(1 + uvarintSize(EMPTY_SNAPSHOT_SIZE) + EMPTY_SNAPSHOT_SIZE));
  w.buf[w.pos++] = 0x4a;
  w.uvarint(EMPTY_SNAPSHOT_SIZE);
  writeSnapshot(w, undefined);
  if (w.pos !== w.buf.length) throw new Error(`raft codec: empty snapshot field is ${w.pos} bytes, sized ${w.buf.length}`);
  return w.buf;
})();

/** Writes m at w.pos; the buffer must have messageEncodedSize(m) bytes free there. */
export function writeMessage(w: PbWriter, m: Message): void {
  const b = w.buf;
  b[w.pos++] = 0x08;
  w.uvarint(m.type);
  b[w.pos++] = 0x10;
  w.id(m.to);
  b[w.pos++] = 0x18;
  w.id(m.from);
  b[w.pos++] = 0x20;
  w.uvarint(m.term);
  b[w.pos++] = 0x28;
  w.uvarint(m.logTerm);
  b[w.pos++] = 0x30;
  w.uvarint(m.index);
  for (const e of m.entries) {
    b[w.pos++] = 0x3a;
    w.uvarint(entryEncodedSize(e));
    writeEntry(w, e);
  }
  b[w.pos++] = 0x40;
  w.uvarint(m.commit);
  if (m.snapshot === undefined) {
    // A handful of bytes: a loop is cheaper than TypedArray.set at this size.
    for (let i = 0; i < EMPTY_SNAPSHOT_FIELD.length; i++) b[w.pos++] = EMPTY_SNAPSHOT_FIELD[i]!;
  } else {
    b[w.pos++] = 0x4a;
    w.uvarint(snapshotSize(m.snapshot));
    writeSnapshot(w, m.snapshot);
  }
  b[w.pos++] = 0x50;
  b[w.pos++] = m.reject ? 1 : 0;
  b[w.pos++] = 0x58;
  w.uvarint(m.rejectHint);
  if (m.context !== undefined) w.bytes(12, m.context);
}

export function encodeMessage(m: Message): Uint8Array {
  const size = messageEncodedSize(m);
  const w = new PbWriter(new Uint8Array(size));
  writeMessage(w, m);
  if (w.pos !== size) throw new Error(`raftpb: message encoded to ${w.pos} bytes, sized ${size}`);
  return w.buf;
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new PbWriter(new Uint8Array(entryEncodedSize(e)));
  writeEntry(w, e);
  return w.buf;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const size = 1 + idSize(cc.id) + 1 + uvarintSize(cc.type) + 1 + idSize(cc.nodeId) + (cc.context.length > 0 ? bytesFieldSize(1, cc.context.length) : 0);
  const w = new PbWriter(new Uint8Array(size));
  w.buf[w.pos++] = 0x08;
  w.id(cc.id);
  w.buf[w.pos++] = 0x10;
  w.uvarint(cc.type);
  w.buf[w.pos++] = 0x18;
  w.id(cc.nodeId);
  if (cc.context.length > 0) w.bytes(4, cc.context);
  return w.buf;
}

export function encodeHardState(hs: HardState): Uint8Array {
  const w = new PbWriter(new Uint8Array(3 + uvarintSize(hs.term) + idSize(hs.vote) + uvarintSize(hs.commit)));
  w.buf[w.pos++] = 0x08;
  w.uvarint(hs.term);
  w.buf[w.pos++] = 0x10;
  w.id(hs.vote);
  w.buf[w.pos++] = 0x18;
  w.uvarint(hs.commit);
  return w.buf;
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new PbWriter(new Uint8Array(snapshotSize(s)));
  writeSnapshot(w, s);
  return w.buf;
}

// ---- reading -------------------------------------------------------------------------

/**
 * Reads protobuf fields out of buf; each read stays below `end`, the current message's
 * end, which callers narrow for nested messages. Malformed input throws RangeError.
 */
export class PbReader {
  pos: number;
  end: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  /** A field's tag, (field number << 3) | wire type. */
  tag(): number {
    const t = this.uvarint();
    if (t < 8) throw new RangeError('raftpb: illegal tag 0');
    return t;
  }
  /** An unsigned varint that must fit a JS safe integer (terms, indexes, lengths). */
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) throw new RangeError('raftpb: truncated input');
    let c = b[p++]!;
    if (c < 0x80) {
      this.pos = p;
      return c;
    }
    let v = c & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      if (p >= this.end) throw new RangeError('raftpb: truncated input');
      c = b[p++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.pos = p;
        if (v > Number.MAX_SAFE_INTEGER) throw new RangeError('raftpb: integer beyond 2^53');
        return v;
      }
      mul *= 0x80;
    }
    throw new RangeError('raftpb: varint too long');
  }
  /** An unsigned 64-bit varint as a bigint (member IDs). */
  id(): NodeId {
    const b = this.buf;
    let p = this.pos;
    if (p >= this.end) throw new RangeError('raftpb: truncated input');
    let c = b[p++]!;
    if (c < 0x80) {
      this.pos = p;
      return BigInt(c);
    }
    // The low 28 bits (4 bytes) and the rest as two exact numbers: no bigint arithmetic per byte.
    let lo = c & 0x7f;
    let hi = 0;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      if (p >= this.end) throw new RangeError('raftpb: truncated input');
      c = b[p++]!;
      if (i < 4) {
        lo += (c & 0x7f) * mul;
        mul *= 0x80;
        if (i === 3) mul = 1;
      } else {
        hi += (c & 0x7f) * mul;
        mul *= 0x80;
      }
      if (c < 0x80) {
        this.pos = p;
        return idFromParts(hi, lo);
      }
    }
    throw new RangeError('raftpb: varint too long');
  }
  bool(): boolean {
    return this.uvarint() !== 0;
  }
  /** A length-delimited field's length, checked against the message's end. */
  len(): number {
    const n = this.uvarint();
    if (n > this.end - this.pos) throw new RangeError('raftpb: length beyond the end of the message');
    return n;
  }
  /** A copy: a decoded message must not pin (or alias) the transport's buffer. */
  bytes(): Uint8Array {
    const n = this.len();
    // A plain Uint8Array of its own even when reading a Buffer (whose slice() is a view).
    const b = new Uint8Array(n);
    b.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  skip(wt: number): void {
    switch (wt) {
      case WT_VARINT:
        this.uvarint64();
        return;
      case WT_FIXED64:
        if (this.end - this.pos < 8) throw new RangeError('raftpb: truncated input');
        this.pos += 8;
        return;
      case WT_BYTES:
        this.pos += this.len();
        return;
      case WT_FIXED32:
        if (this.end - this.pos < 4) throw new RangeError('raftpb: truncated input');
        this.pos += 4;
        return;
      default:
        throw new RangeError(`raftpb: illegal wire type ${wt}`);
    }
  }
  /** Steps over any varint of up to 10 bytes. */
  private uvarint64(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('raftpb: truncated input');
      if (this.buf[this.pos++]! < 0x80) return;
    }
    throw new RangeError('raftpb: varint too long');
  }
  /** Narrows the reader to a nested message; returns the outer end to restore. */
  enter(): number {
    const n = this.len();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }
  leave(outer: number): void {
    if (this.pos !== this.end) throw new RangeError('raftpb: nested message misread');
    this.end = outer;
  }
}

/** Decoded member IDs by their high and low parts: the same few IDs arrive in every message. */
const decodedIds = new Map<number, Map<number, NodeId>>();

function idFromParts(hi: number, lo: number): NodeId {
  let byLo = decodedIds.get(hi);
  const cached = byLo?.get(lo);
  if (cached !== undefined) return cached;
  const id = hi === 0 ? BigInt(lo) : BigInt.asUintN(64, (BigInt(hi) << 28n) | BigInt(lo));
  if (!byLo) {
    if (decodedIds.size >= ID_CACHE_MAX) decodedIds.clear();
    byLo = new Map();
    decodedIds.set(hi, byLo);
  }
  if (byLo.size < ID_CACHE_MAX) byLo.set(lo, id);
  return id;
}

/** A known field arriving with another wire type: gogo's "wrong wireType" error. */
function wrongType(tag: number, what: string): never {
  throw new RangeError(`raftpb: wrong wire type ${tag & 7} for ${what}`);
}

/** Unknown fields are skipped; a known field number with the wrong wire type is refused. */
function other(r: PbReader, tag: number, known: number, what: string): void {
  if (tag >>> 3 <= known) wrongType(tag, what);
  r.skip(tag & 7);
}

export function readEntry(r: PbReader): Entry {
  const e: Entry = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        e.type = r.uvarint();
        break;
      case 0x10:
        e.term = r.uvarint();
        break;
      case 0x18:
        e.index = r.uvarint();
        break;
      case 0x22:
        e.data = r.bytes();
        break;
      default:
        other(r, tag, 4, 'Entry');
    }
  }
  return e;
}

/** Repeated uint64, packed or not. */
function readIds(r: PbReader, tag: number, into: NodeId[]): void {
  if ((tag & 7) === WT_VARINT) {
    into.push(r.id());
    return;
  }
  if ((tag & 7) !== WT_BYTES) wrongType(tag, 'repeated uint64');
  const outer = r.enter();
  while (r.pos < r.end) into.push(r.id());
  r.leave(outer);
}

function readConfState(r: PbReader): ConfState {
  const cs: ConfState = { voters: [], learners: [] };
  const joint: NodeId[] = [];
  let autoLeave = false;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        readIds(r, tag, cs.voters);
        break;
      case 2:
        readIds(r, tag, cs.learners);
        break;
      case 3:
      case 4:
        readIds(r, tag, joint);
        break;
      case 5:
        if (tag !== 0x28) wrongType(tag, 'ConfState.auto_leave');
        autoLeave = r.bool();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  // etcd 3.4 never enters a joint configuration; one here is a newer writer we can't follow.
  if (joint.length > 0 || autoLeave) throw new RangeError('raftpb: joint configurations are not supported');
  return cs;
}

function readMetadata(r: PbReader): SnapshotMetadata {
  const md: SnapshotMetadata = { index: 0, term: 0, confState: { voters: [], learners: [] } };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a: {
        const outer = r.enter();
        md.confState = readConfState(r);
        r.leave(outer);
        break;
      }
      case 0x10:
        md.index = r.uvarint();
        break;
      case 0x18:
        md.term = r.uvarint();
        break;
      default:
        other(r, tag, 3, 'SnapshotMetadata');
    }
  }
  return md;
}

function readSnapshot(r: PbReader): Snapshot {
  const s: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: EMPTY };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        s.data = r.bytes();
        break;
      case 0x12: {
        const outer = r.enter();
        s.metadata = readMetadata(r);
        r.leave(outer);
        break;
      }
      default:
        other(r, tag, 2, 'Snapshot');
    }
  }
  return s;
}

const EMPTY = new Uint8Array(0);
const MSG_SNAP = 7;

export function readMessage(r: PbReader): Message {
  const m: Message = { type: 0, to: 0n, from: 0n, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  let snapAt = -1;
  let snapEnd = -1;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        m.type = r.uvarint();
        break;
      case 0x10:
        m.to = r.id();
        break;
      case 0x18:
        m.from = r.id();
        break;
      case 0x20:
        m.term = r.uvarint();
        break;
      case 0x28:
        m.logTerm = r.uvarint();
        break;
      case 0x30:
        m.index = r.uvarint();
        break;
      case 0x3a: {
        const outer = r.enter();
        m.entries.push(readEntry(r));
        r.leave(outer);
        break;
      }
      case 0x40:
        m.commit = r.uvarint();
        break;
      case 0x4a: {
        // Read once the type is known: every message carries this (non-nullable) field,
        // and only MsgSnap's means anything.
        const n = r.len();
        snapAt = r.pos;
        snapEnd = r.pos + n;
        r.pos = snapEnd;
        break;
      }
      case 0x50:
        m.reject = r.bool();
        break;
      case 0x58:
        m.rejectHint = r.uvarint();
        break;
      case 0x62:
        m.context = r.bytes();
        break;
      default:
        other(r, tag, 12, 'Message');
    }
  }
  if (m.type === MSG_SNAP && snapAt >= 0) m.snapshot = readSnapshot(new PbReader(r.buf, snapAt, snapEnd));
  return m;
}

export function decodeMessage(b: Uint8Array): Message {
  return readMessage(new PbReader(b));
}

export function decodeEntry(b: Uint8Array): Entry {
  return readEntry(new PbReader(b));
}

export function decodeSnapshot(b: Uint8Array): Snapshot {
  return readSnapshot(new PbReader(b));
}

export function decodeConfChange(b: Uint8Array): ConfChange {
  const r = new PbReader(b);
  const cc: ConfChange = { id: 0n, type: 0, nodeId: 0n, context: EMPTY };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        cc.id = r.id();
        break;
      case 0x10:
        cc.type = r.uvarint();
        break;
      case 0x18:
        cc.nodeId = r.id();
        break;
      case 0x22:
        cc.context = r.bytes();
        break;
      default:
        other(r, tag, 4, 'ConfChange');
    }
  }
  return cc;
}

export function decodeHardState(b: Uint8Array): HardState {
  const r = new PbReader(b);
  const hs: HardState = { term: 0, vote: 0n, commit: 0 };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case 0x08:
        hs.term = r.uvarint();
        break;
      case 0x10:
        hs.vote = r.id();
        break;
      case 0x18:
        hs.commit = r.uvarint();
        break;
      default:
        other(r, tag, 3, 'HardState');
    }
  }
  return hs;
}
