// mvccpb.KeyValue protobuf encoding by hand: it runs on every put and every read,
// and a fixed six-field message does not need a reflective codec.
//   1 key bytes, 2 create_revision int64, 3 mod_revision int64, 4 version int64,
//   5 value bytes, 6 lease int64 (zero fields are omitted, as proto3 does).
import type { KeyValue } from './kv.js';

const TWO_64 = 1n << 64n;

/** Bytes of an unsigned protobuf varint (non-negative n). */
export function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(b: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    b[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  b[pos++] = n;
  return pos;
}

export function writeBigVarint(b: Uint8Array, pos: number, v: bigint): number {
  let u = v < 0n ? v + TWO_64 : v;
  while (u >= 128n) {
    b[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  b[pos++] = Number(u);
  return pos;
}

export function bigVarintLen(v: bigint): number {
  let u = v < 0n ? v + TWO_64 : v;
  let len = 1;
  while (u >= 128n) {
    u >>= 7n;
    len++;
  }
  return len;
}

function assertInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`mvcc: ${what} out of range: ${n}`);
}

export function encodeKeyValue(kv: KeyValue): Buffer {
  assertInt(kv.createRevision, 'create_revision');
  assertInt(kv.modRevision, 'mod_revision');
  assertInt(kv.version, 'version');
  let len = 0;
  if (kv.key.byteLength) len += 1 + varintLen(kv.key.byteLength) + kv.key.byteLength;
  if (kv.createRevision) len += 1 + varintLen(kv.createRevision);
  if (kv.modRevision) len += 1 + varintLen(kv.modRevision);
  if (kv.version) len += 1 + varintLen(kv.version);
  if (kv.value.byteLength) len += 1 + varintLen(kv.value.byteLength) + kv.value.byteLength;
  if (kv.lease) len += 1 + bigVarintLen(kv.lease);
  const b = Buffer.allocUnsafe(len);
  let p = 0;
  if (kv.key.byteLength) {
    b[p++] = 0x0a;
    p = writeVarint(b, p, kv.key.byteLength);
    b.set(kv.key, p);
    p += kv.key.byteLength;
  }
  if (kv.createRevision) {
    b[p++] = 0x10;
    p = writeVarint(b, p, kv.createRevision);
  }
  if (kv.modRevision) {
    b[p++] = 0x18;
    p = writeVarint(b, p, kv.modRevision);
  }
  if (kv.version) {
    b[p++] = 0x20;
    p = writeVarint(b, p, kv.version);
  }
  if (kv.value.byteLength) {
    b[p++] = 0x2a;
    p = writeVarint(b, p, kv.value.byteLength);
    b.set(kv.value, p);
    p += kv.value.byteLength;
  }
  if (kv.lease) {
    b[p++] = 0x30;
    p = writeBigVarint(b, p, kv.lease);
  }
  if (p !== len) throw new Error('mvcc: KeyValue encoding length mismatch');
  return b;
}

const EMPTY = new Uint8Array(0);

/** Decodes a KeyValue; key and value are views into `b` unless `copy` is set. */
export function decodeKeyValue(b: Uint8Array, copy = false): KeyValue {
  const kv: KeyValue = { key: EMPTY, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0n };
  let p = 0;
  const end = b.byteLength;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (p >= end) throw new Error('mvcc: truncated KeyValue');
      const c = b[p++];
      n += (c & 0x7f) * mul;
      if (c < 0x80) return n;
      mul *= 128;
    }
  };
  const bigVarint = (): bigint => {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= end) throw new Error('mvcc: truncated KeyValue');
      const c = b[p++];
      n |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) break;
      shift += 7n;
    }
    n &= TWO_64 - 1n;
    return n >= 1n << 63n ? n - TWO_64 : n;
  };
  const bytes = (): Uint8Array => {
    const n = varint();
    if (p + n > end) throw new Error('mvcc: truncated KeyValue');
    const v = copy ? b.slice(p, p + n) : b.subarray(p, p + n);
    p += n;
    return v;
  };
  while (p < end) {
    const tag = varint();
    switch (tag) {
      case 0x0a: kv.key = bytes(); break;
      case 0x10: kv.createRevision = varint(); break;
      case 0x18: kv.modRevision = varint(); break;
      case 0x20: kv.version = varint(); break;
      case 0x2a: kv.value = bytes(); break;
      case 0x30: kv.lease = bigVarint(); break;
      default:
        skipField(tag & 7);
    }
  }
  return kv;

  function skipField(wire: number): void {
    if (wire === 0) varint();
    else if (wire === 2) {
      const n = varint();
      p += n;
    }
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else throw new Error(`mvcc: unsupported wire type ${wire} in KeyValue`);
  }
}

/** The fields restore needs, read without building a KeyValue: key (latin1), create_revision, version. */
export interface KeyMeta {
  name: string;
  createRevision: number;
  version: number;
}

/** Fills `out` (reused across calls on the restore path, which visits every revision). */
export function decodeKeyMeta(b: Buffer, out: KeyMeta): void {
  let p = 0;
  let name = '';
  let createRevision = 0;
  let version = 0;
  const end = b.byteLength;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (p >= end) throw new Error('mvcc: truncated KeyValue');
      const c = b[p++];
      n += (c & 0x7f) * mul;
      if (c < 0x80) return n;
      mul *= 128;
    }
  };
  while (p < end) {
    const tag = varint();
    const wire = tag & 7;
    if (tag === 0x0a) {
      const n = varint();
      name = b.toString('latin1', p, p + n);
      p += n;
    } else if (tag === 0x10) createRevision = varint();
    else if (tag === 0x20) version = varint();
    else if (wire === 0) varint();
    else if (wire === 2) {
      const n = varint();
      p += n;
    }
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else throw new Error(`mvcc: unsupported wire type ${wire} in KeyValue`);
  }
  if (p !== end) throw new Error('mvcc: truncated KeyValue');
  out.name = name;
  out.createRevision = createRevision;
  out.version = version;
}
