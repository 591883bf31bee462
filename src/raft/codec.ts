// A compact binary encoding of Raft messages and conf changes: unsigned LEB128
// varints for terms, indexes and lengths, fixed 8 bytes for 64-bit member IDs.
// It is this project's own peer format, not etcd's protobuf raftpb.

import type { ConfChange, ConfState, Entry, Message, NodeId, Snapshot } from './types.js';

const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_CONTEXT = 4;

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  uvarint(v: number): void {
    if (!(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`cannot encode ${v} as an unsigned varint`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v);
  }
  id(v: NodeId): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('truncated raft encoding');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  uvarint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new RangeError('varint too long');
  }
  id(): NodeId {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.uvarint();
    this.need(n);
    // A copy, so a decoded message doesn't pin (or alias) the transport's buffer.
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  done(): void {
    if (this.pos !== this.buf.length) throw new RangeError('trailing bytes after raft encoding');
  }
}

function writeIds(w: Writer, ids: NodeId[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.id(id);
}

function readIds(r: Reader): NodeId[] {
  const n = r.uvarint();
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) ids.push(r.id());
  return ids;
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  w.uvarint(s.metadata.index);
  w.uvarint(s.metadata.term);
  writeIds(w, s.metadata.confState.voters);
  writeIds(w, s.metadata.confState.learners);
  w.bytes(s.data);
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.uvarint();
  const term = r.uvarint();
  const confState: ConfState = { voters: readIds(r), learners: readIds(r) };
  return { metadata: { index, term, confState }, data: r.bytes() };
}

function sizeHint(m: Message): number {
  let size = 64 + (m.context?.length ?? 0);
  for (const e of m.entries) size += e.data.length + 24;
  if (m.snapshot) size += m.snapshot.data.length + 32 + 8 * (m.snapshot.metadata.confState.voters.length + m.snapshot.metadata.confState.learners.length);
  return size;
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer(sizeHint(m));
  writeMessage(w, m);
  return w.finish();
}

/**
 * Several messages in one buffer, each preceded by its length as 4 bytes big-endian:
 * the peer stream's framing, written without an intermediate buffer per message.
 */
export function encodeMessageFrames(messages: readonly Message[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += 4 + sizeHint(m);
  const w = new Writer(size);
  for (const m of messages) {
    const at = w.pos;
    w.u32(0);
    writeMessage(w, m);
    w.setU32(at, w.pos - at - 4);
  }
  return w.finish();
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(m.type);
  w.id(m.to);
  w.id(m.from);
  w.uvarint(m.term);
  w.uvarint(m.logTerm);
  w.uvarint(m.index);
  w.uvarint(m.commit);
  w.uvarint(m.rejectHint);
  w.u8((m.reject ? FLAG_REJECT : 0) | (m.snapshot ? FLAG_SNAPSHOT : 0) | (m.context !== undefined ? FLAG_CONTEXT : 0));
  w.uvarint(m.entries.length);
  for (const e of m.entries) {
    w.uvarint(e.term);
    w.uvarint(e.index);
    w.u8(e.type);
    w.bytes(e.data);
  }
  if (m.snapshot) writeSnapshot(w, m.snapshot);
  if (m.context !== undefined) w.bytes(m.context);
}

export function decodeMessage(b: Uint8Array): Message {
  const r = new Reader(b);
  const type = r.u8();
  const to = r.id();
  const from = r.id();
  const term = r.uvarint();
  const logTerm = r.uvarint();
  const index = r.uvarint();
  const commit = r.uvarint();
  const rejectHint = r.uvarint();
  const flags = r.u8();
  const n = r.uvarint();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const eterm = r.uvarint();
    const eindex = r.uvarint();
    const etype = r.u8();
    entries.push({ term: eterm, index: eindex, type: etype, data: r.bytes() });
  }
  const m: Message = { type, to, from, term, logTerm, index, entries, commit, reject: (flags & FLAG_REJECT) !== 0, rejectHint };
  if (flags & FLAG_SNAPSHOT) m.snapshot = readSnapshot(r);
  if (flags & FLAG_CONTEXT) m.context = r.bytes();
  r.done();
  return m;
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new Writer(16 + cc.context.length);
  w.u8(cc.type);
  w.id(cc.nodeId);
  w.bytes(cc.context);
  return w.finish();
}

export function decodeConfChange(b: Uint8Array): ConfChange {
  const r = new Reader(b);
  const cc: ConfChange = { type: r.u8(), nodeId: r.id(), context: r.bytes() };
  r.done();
  return cc;
}
