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

const TWO32 = 0x1_0000_0000;

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

function idSize(id: NodeId): number {
  if (id < 0x80n) return 1;
  let n = 0;
  for (let v = BigInt.asUintN(64, id); v > 0n; v >>= 7n) n++;
  return n;
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
    const u = BigInt.asUintN(64, id);
    let lo = Number(u & 0xffffffffn);
    let hi = Number(u >> 32n);
    const b = this.buf;
    let p = this.pos;
    // 64-bit varint from two 32-bit halves: 7 bits at a time, low half first.
    while (hi > 0 || lo >= 0x80) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
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
  b[w.pos++] = 0x4a;
  w.uvarint(snapshotSize(m.snapshot));
  writeSnapshot(w, m.snapshot);
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

/** Reads one protobuf message between pos and end; throws RangeError on malformed input. */
export class PbReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  private byte(): number {
    if (this.pos >= this.end) throw new RangeError('raftpb: truncated input');
    return this.buf[this.pos++]!;
  }
  /** A field's tag: [field number, wire type]. */
  tag(): [number, number] {
    const t = this.uvarint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new RangeError('raftpb: illegal tag 0');
    return [field, t % 8];
  }
  /** An unsigned varint that must fit a JS safe integer (terms, indexes, lengths). */
  uvarint(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let v = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; i < 10; i++) {
      b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) throw new RangeError('raftpb: integer beyond 2^53');
        return v;
      }
      mul *= 0x80;
    }
    throw new RangeError('raftpb: varint too long');
  }
  /** An unsigned 64-bit varint as a bigint (member IDs). */
  id(): NodeId {
    let b = this.byte();
    if (b < 0x80) return BigInt(b);
    let lo = b & 0x7f;
    let hi = 0;
    let shift = 7;
    for (let i = 1; i < 10; i++) {
      b = this.byte();
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo = (lo | (bits << 28)) >>> 0;
        hi = bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      shift += 7;
    }
    throw new RangeError('raftpb: varint too long');
  }
  bool(): boolean {
    return this.uvarint() !== 0;
  }
  /** A length-delimited field's bounds, checked against the message's end. */
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
        while (this.byte() >= 0x80);
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
}

function expect(wt: number, want: number, what: string): void {
  if (wt !== want) throw new RangeError(`raftpb: wrong wire type ${wt} for ${what}`);
}

function readEntry(r: PbReader): Entry {
  const e: Entry = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        expect(wt, WT_VARINT, 'Entry.Type');
        e.type = r.uvarint();
        break;
      case 2:
        expect(wt, WT_VARINT, 'Entry.Term');
        e.term = r.uvarint();
        break;
      case 3:
        expect(wt, WT_VARINT, 'Entry.Index');
        e.index = r.uvarint();
        break;
      case 4:
        expect(wt, WT_BYTES, 'Entry.Data');
        e.data = r.bytes();
        break;
      default:
        r.skip(wt);
    }
  }
  return e;
}

/** Repeated uint64, packed or not. */
function readIds(r: PbReader, wt: number, into: NodeId[]): void {
  if (wt === WT_VARINT) {
    into.push(r.id());
    return;
  }
  expect(wt, WT_BYTES, 'repeated uint64');
  const end = r.pos + r.len();
  const sub = new PbReader(r.buf, r.pos, end);
  while (!sub.done()) into.push(sub.id());
  r.pos = end;
}

function readConfState(r: PbReader): ConfState {
  const cs: ConfState = { voters: [], learners: [] };
  const joint: NodeId[] = [];
  let autoLeave = false;
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        readIds(r, wt, cs.voters);
        break;
      case 2:
        readIds(r, wt, cs.learners);
        break;
      case 3:
      case 4:
        readIds(r, wt, joint);
        break;
      case 5:
        expect(wt, WT_VARINT, 'ConfState.auto_leave');
        autoLeave = r.bool();
        break;
      default:
        r.skip(wt);
    }
  }
  // etcd 3.4 never enters a joint configuration; one here is a newer writer we can't follow.
  if (joint.length > 0 || autoLeave) throw new RangeError('raftpb: joint configurations are not supported');
  return cs;
}

function sub(r: PbReader): PbReader {
  const n = r.len();
  const s = new PbReader(r.buf, r.pos, r.pos + n);
  r.pos += n;
  return s;
}

function readMetadata(r: PbReader): SnapshotMetadata {
  const md: SnapshotMetadata = { index: 0, term: 0, confState: { voters: [], learners: [] } };
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        expect(wt, WT_BYTES, 'SnapshotMetadata.conf_state');
        md.confState = readConfState(sub(r));
        break;
      case 2:
        expect(wt, WT_VARINT, 'SnapshotMetadata.index');
        md.index = r.uvarint();
        break;
      case 3:
        expect(wt, WT_VARINT, 'SnapshotMetadata.term');
        md.term = r.uvarint();
        break;
      default:
        r.skip(wt);
    }
  }
  return md;
}

function readSnapshot(r: PbReader): Snapshot {
  const s: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: EMPTY };
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        expect(wt, WT_BYTES, 'Snapshot.data');
        s.data = r.bytes();
        break;
      case 2:
        expect(wt, WT_BYTES, 'Snapshot.metadata');
        s.metadata = readMetadata(sub(r));
        break;
      default:
        r.skip(wt);
    }
  }
  return s;
}

const EMPTY = new Uint8Array(0);
const MSG_SNAP = 7;

export function readMessage(r: PbReader): Message {
  const m: Message = { type: 0, to: 0n, from: 0n, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  let snapshot: Snapshot | undefined;
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        expect(wt, WT_VARINT, 'Message.type');
        m.type = r.uvarint();
        break;
      case 2:
        expect(wt, WT_VARINT, 'Message.to');
        m.to = r.id();
        break;
      case 3:
        expect(wt, WT_VARINT, 'Message.from');
        m.from = r.id();
        break;
      case 4:
        expect(wt, WT_VARINT, 'Message.term');
        m.term = r.uvarint();
        break;
      case 5:
        expect(wt, WT_VARINT, 'Message.logTerm');
        m.logTerm = r.uvarint();
        break;
      case 6:
        expect(wt, WT_VARINT, 'Message.index');
        m.index = r.uvarint();
        break;
      case 7:
        expect(wt, WT_BYTES, 'Message.entries');
        m.entries.push(readEntry(sub(r)));
        break;
      case 8:
        expect(wt, WT_VARINT, 'Message.commit');
        m.commit = r.uvarint();
        break;
      case 9:
        expect(wt, WT_BYTES, 'Message.snapshot');
        snapshot = readSnapshot(sub(r));
        break;
      case 10:
        expect(wt, WT_VARINT, 'Message.reject');
        m.reject = r.bool();
        break;
      case 11:
        expect(wt, WT_VARINT, 'Message.rejectHint');
        m.rejectHint = r.uvarint();
        break;
      case 12:
        expect(wt, WT_BYTES, 'Message.context');
        m.context = r.bytes();
        break;
      default:
        r.skip(wt);
    }
  }
  // Every message carries a (non-nullable) snapshot field; only MsgSnap's means anything.
  if (snapshot && (m.type === MSG_SNAP || snapshot.metadata.index !== 0)) m.snapshot = snapshot;
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
  while (!r.done()) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        expect(wt, WT_VARINT, 'ConfChange.ID');
        cc.id = r.id();
        break;
      case 2:
        expect(wt, WT_VARINT, 'ConfChange.Type');
        cc.type = r.uvarint();
        break;
      case 3:
        expect(wt, WT_VARINT, 'ConfChange.NodeID');
        cc.nodeId = r.id();
        break;
      case 4:
        expect(wt, WT_BYTES, 'ConfChange.Context');
        cc.context = r.bytes();
        break;
      default:
        r.skip(wt);
    }
  }
  return cc;
}

export function decodeHardState(b: Uint8Array): HardState {
  const r = new PbReader(b);
  const hs: HardState = { term: 0, vote: 0n, commit: 0 };
  while (!r.done()) {
    const [f, wt] = r.tag();
    expect(wt, WT_VARINT, 'HardState field');
    if (f === 1) hs.term = r.uvarint();
    else if (f === 2) hs.vote = r.id();
    else if (f === 3) hs.commit = r.uvarint();
    else r.skip(wt);
  }
  return hs;
}

/** Writes a u64 big-endian into b at off (lengths and indexes in etcd's stream framings). */
export function putU64BE(b: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  const lo = v - hi * TWO32;
  b[off] = hi >>> 24;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

/** Reads a u64 big-endian that must fit a JS safe integer. */
export function getU64BE(b: Uint8Array, off: number): number {
  const hi = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  const lo = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  if (hi >= 0x200000) throw new RangeError('raftpb: length beyond 2^53');
  return hi * TWO32 + lo;
}
