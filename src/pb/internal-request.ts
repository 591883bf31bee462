// etcdserverpb.InternalRaftRequest, the payload of every normal log entry. Puts are
// most of a write workload and each is encoded once by the proposer and decoded once
// per member, so a plain Put (header + put, nothing else) has a direct codec here;
// every other shape goes through the reflection codec. Both produce the same bytes
// and the same in-process objects (the tests compare them field by field).
import { codec, type MessageCodec } from './codec.js';
import type { PutRequest } from './kv.js';

export interface InternalRequestHeader {
  ID: bigint;
  username: string;
  authRevision: number;
}

/** A put travels in the log as the client sent it. */
export type InternalPutRequest = PutRequest;

const reflect = codec<any>('etcdserverpb.InternalRaftRequest');

// Tags as protobufjs writes them: (field number << 3) | wire type.
const TAG_ID = 0x08; // ID = 1, varint
const TAG_PUT = 0x22; // put = 4, length-delimited
const TAG_HEADER_0 = 0xa2; // header = 100, length-delimited: varint 802
const TAG_HEADER_1 = 0x06;

const PUT_KEYS = ['key', 'value', 'lease', 'prevKv', 'ignoreValue', 'ignoreLease'];
const HEADER_KEYS = ['ID', 'username', 'authRevision'];
const MAX_U64 = (1n << 64n) - 1n;

function hasExactly(o: object, keys: readonly string[]): boolean {
  let n = 0;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    if (!keys.includes(k)) return false;
    n++;
  }
  return n === keys.length;
}

/** A Put with every field set to its in-process type, as the KV API and the lessor build them. */
function plainPut(req: any): { header: InternalRequestHeader; put: InternalPutRequest } | undefined {
  const h = req.header;
  const p = req.put;
  if (h === undefined || p === undefined || !hasExactly(req, ['header', 'put'])) return undefined;
  if (h === null || typeof h !== 'object' || !hasExactly(h, HEADER_KEYS)) return undefined;
  if (p === null || typeof p !== 'object' || !hasExactly(p, PUT_KEYS)) return undefined;
  if (typeof h.ID !== 'bigint' || h.ID < 0n || h.ID > MAX_U64) return undefined;
  if (typeof h.username !== 'string' || !Number.isSafeInteger(h.authRevision) || h.authRevision < 0) return undefined;
  if (!(p.key instanceof Uint8Array) || !(p.value instanceof Uint8Array)) return undefined;
  if (typeof p.lease !== 'bigint' || p.lease < -(1n << 63n) || p.lease >= 1n << 63n) return undefined;
  if (typeof p.prevKv !== 'boolean' || typeof p.ignoreValue !== 'boolean' || typeof p.ignoreLease !== 'boolean') return undefined;
  return req;
}

// ---- encoding ----------------------------------------------------------------------

// Encoded entries are carved from slabs of their own rather than each getting an
// ArrayBuffer (an allocation that costs more than the encoding). Log entries are
// created and compacted in index order, so a slab holds entries of one stretch of
// the log and is freed with them; nothing short-lived shares it.
const SLAB_BYTES = 64 * 1024;
const SLAB_MAX_ENTRY = 4 * 1024;
let slab = new Uint8Array(0);
let slabPos = 0;

function entryBytes(n: number): Uint8Array {
  if (n > SLAB_MAX_ENTRY) return new Uint8Array(n);
  if (slabPos + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabPos = 0;
  }
  const b = slab.subarray(slabPos, slabPos + n);
  slabPos += n;
  return b;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A uint64 as protobuf writes it: (lo, hi) 32-bit halves, 1..10 bytes. */
function u64Size(lo: number, hi: number): number {
  if (hi === 0) return varintSize(lo);
  // 7 bits per byte over the 64-bit value hi:lo.
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

class Out {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  u64(lo: number, hi: number): void {
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function halves(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

// Field presence as protobufjs decides it for proto3: empty bytes and strings, false
// and the number 0 are left out; a bigint is always written, 0n included.
function encodePlainPut(req: { header: InternalRequestHeader; put: InternalPutRequest }): Uint8Array {
  const p = req.put;
  const h = req.header;
  const [leaseLo, leaseHi] = p.lease === 0n ? [0, 0] : halves(p.lease);
  const keyLen = p.key.length;
  const valueLen = p.value.length;
  const putLen =
    (keyLen > 0 ? 1 + varintSize(keyLen) + keyLen : 0) +
    (valueLen > 0 ? 1 + varintSize(valueLen) + valueLen : 0) +
    1 + u64Size(leaseLo, leaseHi) +
    (p.prevKv ? 2 : 0) + (p.ignoreValue ? 2 : 0) + (p.ignoreLease ? 2 : 0);
  const [idLo, idHi] = halves(h.ID);
  const userLen = h.username === '' ? 0 : Buffer.byteLength(h.username, 'utf8');
  const revHi = Math.floor(h.authRevision / 0x100000000);
  const revLo = h.authRevision >>> 0;
  const headerLen =
    1 + u64Size(idLo, idHi) +
    (userLen > 0 ? 1 + varintSize(userLen) + userLen : 0) +
    (h.authRevision !== 0 ? 1 + u64Size(revLo, revHi) : 0);
  const total = 1 + varintSize(putLen) + putLen + 2 + varintSize(headerLen) + headerLen;
  const o = new Out(entryBytes(total));
  o.byte(TAG_PUT);
  o.varint(putLen);
  if (keyLen > 0) {
    o.byte(0x0a);
    o.varint(keyLen);
    o.bytes(p.key);
  }
  if (valueLen > 0) {
    o.byte(0x12);
    o.varint(valueLen);
    o.bytes(p.value);
  }
  o.byte(0x18);
  o.u64(leaseLo, leaseHi);
  if (p.prevKv) o.byte(0x20), o.byte(1);
  if (p.ignoreValue) o.byte(0x28), o.byte(1);
  if (p.ignoreLease) o.byte(0x30), o.byte(1);
  o.byte(TAG_HEADER_0);
  o.byte(TAG_HEADER_1);
  o.varint(headerLen);
  o.byte(0x08);
  o.u64(idLo, idHi);
  if (userLen > 0) {
    o.byte(0x12);
    o.varint(userLen);
    o.pos += Buffer.from(o.buf.buffer, o.buf.byteOffset, o.buf.byteLength).write(h.username, o.pos, userLen, 'utf8');
  }
  if (h.authRevision !== 0) {
    o.byte(0x18);
    o.u64(revLo, revHi);
  }
  if (o.pos !== total) throw new Error(`internal request encoding: wrote ${o.pos} of ${total} bytes`);
  return o.buf;
}

// ---- decoding ----------------------------------------------------------------------

/** Thrown inside the fast decoder for anything it does not handle; the reflection codec then decides. */
const NOT_PLAIN = Symbol('not a plain put');

class In {
  pos = 0;
  lo = 0;
  hi = 0;
  constructor(readonly buf: Uint8Array) {}
  /** Reads a varint of up to 64 bits into (lo, hi). */
  u64(): void {
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= b.length) throw NOT_PLAIN;
      const c = b[this.pos++];
      const bits = c & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (c < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
      shift += 7;
    }
    throw NOT_PLAIN;
  }
  len(): number {
    this.u64();
    if (this.hi !== 0 || this.pos + this.lo > this.buf.length) throw NOT_PLAIN;
    return this.lo;
  }
  sub(n: number): Uint8Array {
    // Views, as protobufjs hands them out; an empty field is a fresh empty Buffer.
    const v = n === 0 ? Buffer.alloc(0) : this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  bigU(): bigint {
    this.u64();
    return this.hi === 0 ? BigInt(this.lo) : (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

const EMPTY = new Uint8Array(0);

function decodePut(r: In, end: number): InternalPutRequest {
  const p: InternalPutRequest = { key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    switch (tag) {
      case 0x0a:
        p.key = r.sub(r.len());
        break;
      case 0x12:
        p.value = r.sub(r.len());
        break;
      case 0x18:
        r.u64();
        p.lease = BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo));
        break;
      case 0x20:
        r.u64();
        p.prevKv = r.lo !== 0;
        break;
      case 0x28:
        r.u64();
        p.ignoreValue = r.lo !== 0;
        break;
      case 0x30:
        r.u64();
        p.ignoreLease = r.lo !== 0;
        break;
      default:
        throw NOT_PLAIN;
    }
  }
  if (r.pos !== end) throw NOT_PLAIN;
  return p;
}

function decodeHeader(r: In, end: number): InternalRequestHeader {
  const h: InternalRequestHeader = { ID: 0n, username: '', authRevision: 0 };
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    switch (tag) {
      case 0x08:
        h.ID = r.bigU();
        break;
      case 0x12: {
        const n = r.len();
        h.username = n === 0 ? '' : Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, n).toString('utf8');
        r.pos += n;
        break;
      }
      case 0x18:
        r.u64();
        h.authRevision = r.hi * 0x100000000 + r.lo;
        break;
      default:
        throw NOT_PLAIN;
    }
  }
  if (r.pos !== end) throw NOT_PLAIN;
  return h;
}

/** Fields 1 (ID), 4 (put) and 100 (header) only; undefined for anything else. */
export function decodePlainPut(buf: Uint8Array): any {
  const r = new In(buf);
  let header: InternalRequestHeader | undefined;
  let put: InternalPutRequest | undefined;
  let id = 0n;
  try {
    while (r.pos < buf.length) {
      const tag = buf[r.pos++];
      if (tag === TAG_PUT) {
        const n = r.len();
        put = decodePut(r, r.pos + n);
      } else if (tag === TAG_HEADER_0 && buf[r.pos] === TAG_HEADER_1) {
        r.pos++;
        const n = r.len();
        header = decodeHeader(r, r.pos + n);
      } else if (tag === TAG_ID) {
        id = r.bigU();
      } else {
        return undefined;
      }
    }
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
  if (put === undefined) return undefined;
  // The reflection converter's shape: message fields only when present, scalars always.
  return header === undefined ? { ID: id, put } : { header, ID: id, put };
}

export const internalRequestCodec: MessageCodec<any> = {
  type: reflect.type,
  encode(msg: any): Uint8Array {
    const plain = plainPut(msg);
    // Either way an exact-size copy of its own: protobufjs hands out views into shared
    // 8 KiB slabs, and a log entry outlives them all (each would pin a whole slab).
    return plain ? encodePlainPut(plain) : new Uint8Array(reflect.encode(msg));
  },
  decode(buf: Uint8Array): any {
    return decodePlainPut(buf) ?? reflect.decode(buf);
  },
};
