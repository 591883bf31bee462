// Hand codecs for the messages of the hot calls: PutRequest, RangeRequest and
// LeaseKeepAliveRequest in, ResponseHeader, PutResponse, RangeResponse and
// LeaseKeepAliveResponse out. They produce the same objects
// and bytes as the reflection codec (codec.ts; the tests compare them on random
// messages) at a fraction of its cost, on the thread that also runs Raft. A range's
// key-values can be given as the stored mvccpb.KeyValue bytes, which are written out
// as they are.
import type { KeyValue, PutRequest, PutResponse, RangeRequest, RangeResponse, ResponseHeader } from './kv.js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse } from './lease.js';
import { bigVarintLen, encodeKeyValue, varintLen, writeBigVarint, writeVarint } from './keyvalue.js';

const TWO_64 = 1n << 64n;
const EMPTY = new Uint8Array(0);

/** Reads protobuf fields; throws on truncation, as a decoder must. */
class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.b.length;
  }

  /**
   * The next varint if it fits in 49 bits (7 bytes, always exact as a number), else
   * -1 with nothing consumed.
   */
  private small(): number {
    const b = this.b;
    let n = 0;
    let mul = 1;
    for (let i = 0, p = this.pos; i < 7; i++) {
      if (p >= b.length) throw new RangeError('index out of range: truncated varint');
      const c = b[p++]!;
      n += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.pos = p;
        return n;
      }
      mul *= 128;
    }
    return -1;
  }

  /** An unsigned varint (tags, lengths, bools) as a number. */
  varint(): number {
    const n = this.small();
    return n >= 0 ? n : Number(this.big());
  }

  /** An int64 as a number (signed, as the reflection codec turns it). */
  int64(): number {
    const n = this.small();
    return n >= 0 ? n : Number(BigInt.asIntN(64, this.big()));
  }

  /** An int64 as a bigint (IDs). */
  int64Big(): bigint {
    return BigInt.asIntN(64, this.big());
  }

  /** int32/enum: the low 32 bits, signed. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.big()));
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (n > this.b.length - this.pos) throw new RangeError(`index out of range: ${this.pos} + ${n} > ${this.b.length}`);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.advance(this.varint());
    else if (wire === 5) this.advance(4);
    else throw new Error(`invalid wire type ${wire} at offset ${this.pos}`);
  }

  private advance(n: number): void {
    if (n > this.b.length - this.pos) throw new RangeError(`index out of range: ${this.pos} + ${n} > ${this.b.length}`);
    this.pos += n;
  }

  private big(): bigint {
    const b = this.b;
    let n = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= b.length) throw new RangeError('index out of range: truncated varint');
      const c = b[this.pos++]!;
      n |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return n & (TWO_64 - 1n);
      shift += 7n;
    }
    throw new Error('invalid varint encoding');
  }
}

/** Field number and wire type; a field whose wire type is not its declared one is skipped as the unknown field it is. */
function expect(r: Reader, tag: number, wire: number): boolean {
  if ((tag & 7) === wire) return true;
  r.skip(tag & 7);
  return false;
}

export function decodePutRequest(b: Uint8Array): PutRequest {
  const r = new Reader(b);
  const m: PutRequest = { key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  while (!r.done) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1: if (expect(r, tag, 2)) m.key = r.bytes(); break;
      case 2: if (expect(r, tag, 2)) m.value = r.bytes(); break;
      case 3: if (expect(r, tag, 0)) m.lease = r.int64Big(); break;
      case 4: if (expect(r, tag, 0)) m.prevKv = r.bool(); break;
      case 5: if (expect(r, tag, 0)) m.ignoreValue = r.bool(); break;
      case 6: if (expect(r, tag, 0)) m.ignoreLease = r.bool(); break;
      default: r.skip(tag & 7);
    }
  }
  return m;
}

export function decodeRangeRequest(b: Uint8Array): RangeRequest {
  const r = new Reader(b);
  const m: RangeRequest = {
    key: EMPTY, rangeEnd: EMPTY, limit: 0, revision: 0, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false,
    countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
  };
  while (!r.done) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1: if (expect(r, tag, 2)) m.key = r.bytes(); break;
      case 2: if (expect(r, tag, 2)) m.rangeEnd = r.bytes(); break;
      case 3: if (expect(r, tag, 0)) m.limit = r.int64(); break;
      case 4: if (expect(r, tag, 0)) m.revision = r.int64(); break;
      case 5: if (expect(r, tag, 0)) m.sortOrder = r.int32(); break;
      case 6: if (expect(r, tag, 0)) m.sortTarget = r.int32(); break;
      case 7: if (expect(r, tag, 0)) m.serializable = r.bool(); break;
      case 8: if (expect(r, tag, 0)) m.keysOnly = r.bool(); break;
      case 9: if (expect(r, tag, 0)) m.countOnly = r.bool(); break;
      case 10: if (expect(r, tag, 0)) m.minModRevision = r.int64(); break;
      case 11: if (expect(r, tag, 0)) m.maxModRevision = r.int64(); break;
      case 12: if (expect(r, tag, 0)) m.minCreateRevision = r.int64(); break;
      case 13: if (expect(r, tag, 0)) m.maxCreateRevision = r.int64(); break;
      default: r.skip(tag & 7);
    }
  }
  return m;
}

export function decodeLeaseKeepAliveRequest(b: Uint8Array): LeaseKeepAliveRequest {
  const r = new Reader(b);
  const m: LeaseKeepAliveRequest = { ID: 0n };
  while (!r.done) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1: if (expect(r, tag, 0)) m.ID = r.int64Big(); break;
      default: r.skip(tag & 7);
    }
  }
  return m;
}

// ---- encoding ----------------------------------------------------------------------

/** Length of an int64 field's varint (negative numbers take ten bytes). */
export function int64Len(n: number): number {
  return n >= 0 ? varintLen(n) : 10;
}

export function writeInt64(b: Uint8Array, pos: number, n: number): number {
  return n >= 0 ? writeVarint(b, pos, n) : writeBigVarint(b, pos, BigInt(n));
}

/**
 * The varints of the few 64-bit IDs headers carry (a member's own and its cluster's:
 * the same in every response it sends). BigInt arithmetic costs about a microsecond
 * per ID, and a watch fan-out sends a header per watcher per event.
 */
const ID_VARINTS_KEPT = 8;
const idVarints: { id: bigint; bytes: Uint8Array }[] = [];

function idVarint(id: bigint): Uint8Array {
  for (const e of idVarints) if (e.id === id) return e.bytes;
  const bytes = new Uint8Array(bigVarintLen(id));
  const end = writeBigVarint(bytes, 0, id);
  if (end !== bytes.byteLength) throw new Error('pb: ID varint length mismatch');
  if (idVarints.length >= ID_VARINTS_KEPT) idVarints.shift();
  idVarints.push({ id, bytes });
  return bytes;
}

function putBytes(b: Uint8Array, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.byteLength; i++) b[pos + i] = bytes[i]!;
  return pos + bytes.byteLength;
}

export function headerLen(h: ResponseHeader): number {
  let n = 0;
  if (h.clusterId) n += 1 + idVarint(h.clusterId).byteLength;
  if (h.memberId) n += 1 + idVarint(h.memberId).byteLength;
  if (h.revision) n += 1 + int64Len(h.revision);
  if (h.raftTerm) n += 1 + int64Len(h.raftTerm);
  return n;
}

export function writeHeader(b: Uint8Array, pos: number, h: ResponseHeader, len: number): number {
  b[pos++] = 0x0a; // header = 1
  pos = writeVarint(b, pos, len);
  if (h.clusterId) {
    b[pos++] = 0x08;
    pos = putBytes(b, pos, idVarint(h.clusterId));
  }
  if (h.memberId) {
    b[pos++] = 0x10;
    pos = putBytes(b, pos, idVarint(h.memberId));
  }
  if (h.revision) {
    b[pos++] = 0x18;
    pos = writeInt64(b, pos, h.revision);
  }
  if (h.raftTerm) {
    b[pos++] = 0x20;
    pos = writeInt64(b, pos, h.raftTerm);
  }
  return pos;
}

export function fieldLen(payload: number): number {
  return 1 + varintLen(payload) + payload;
}

export function writeBytesField(b: Uint8Array, pos: number, tag: number, v: Uint8Array): number {
  b[pos++] = tag;
  pos = writeVarint(b, pos, v.byteLength);
  b.set(v, pos);
  return pos + v.byteLength;
}

export function encodePutResponse(m: PutResponse): Uint8Array {
  const hl = m.header ? headerLen(m.header) : -1;
  const prev = m.prevKv ? encodeKeyValue(m.prevKv) : undefined;
  const len = (hl >= 0 ? fieldLen(hl) : 0) + (prev ? fieldLen(prev.byteLength) : 0);
  const b = new Uint8Array(len);
  let pos = 0;
  if (m.header) pos = writeHeader(b, pos, m.header, hl);
  if (prev) pos = writeBytesField(b, pos, 0x12, prev);
  if (pos !== len) throw new Error('pb: PutResponse encoding length mismatch');
  return b;
}

/**
 * A RangeResponse whose key-values are given either decoded (`kvs`) or as the
 * stored mvccpb.KeyValue bytes (`raw`), which are copied out unchanged.
 */
export function encodeRangeResponse(m: RangeResponse, raw?: readonly Uint8Array[]): Uint8Array {
  const hl = m.header ? headerLen(m.header) : -1;
  const kvs: readonly Uint8Array[] = raw ?? m.kvs.map((kv: KeyValue) => encodeKeyValue(kv));
  let len = hl >= 0 ? fieldLen(hl) : 0;
  for (const kv of kvs) len += fieldLen(kv.byteLength);
  if (m.more) len += 2;
  if (m.count) len += 1 + int64Len(m.count);
  const b = new Uint8Array(len);
  let pos = 0;
  if (m.header) pos = writeHeader(b, pos, m.header, hl);
  for (const kv of kvs) pos = writeBytesField(b, pos, 0x12, kv);
  if (m.more) {
    b[pos++] = 0x18;
    b[pos++] = 1;
  }
  if (m.count) {
    b[pos++] = 0x20;
    pos = writeInt64(b, pos, m.count);
  }
  if (pos !== len) throw new Error('pb: RangeResponse encoding length mismatch');
  return b;
}

export function encodeLeaseKeepAliveResponse(m: LeaseKeepAliveResponse): Uint8Array {
  const hl = m.header ? headerLen(m.header) : -1;
  let len = hl >= 0 ? fieldLen(hl) : 0;
  if (m.ID) len += 1 + bigVarintLen(m.ID);
  if (m.TTL) len += 1 + int64Len(m.TTL);
  const b = new Uint8Array(len);
  let pos = 0;
  if (m.header) pos = writeHeader(b, pos, m.header, hl);
  if (m.ID) {
    b[pos++] = 0x10; // ID = 2
    pos = writeBigVarint(b, pos, m.ID);
  }
  if (m.TTL) {
    b[pos++] = 0x18; // TTL = 3
    pos = writeInt64(b, pos, m.TTL);
  }
  if (pos !== len) throw new Error('pb: LeaseKeepAliveResponse encoding length mismatch');
  return b;
}
