// Whether bytes parse as a given protobuf message under gogo's rules, which etcd's
// generated unmarshalers follow: every known field must arrive with its declared wire
// type (nested messages are checked too), unknown fields are skipped, and a malformed
// varint, length or wire type is an error. etcd tells a log entry's InternalRaftRequest
// from a bare v2 Request by whether the first unmarshal fails; this is that test.
import type * as PB from 'protobufjs';

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);
const FIXED32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);

const MAX_DEPTH = 64;

class Cursor {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  /** A varint's value (exact up to 2^53), or -1 when malformed or truncated. */
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return -1;
      const c = this.b[this.pos++]!;
      v += (c & 0x7f) * mul;
      if (c < 0x80) return v;
      mul *= 128;
    }
    return -1;
  }
  skip(n: number): boolean {
    if (n < 0 || n > this.end - this.pos) return false;
    this.pos += n;
    return true;
  }
}

function wireTypeOf(f: PB.Field): number {
  if (f.resolvedType && 'fieldsArray' in f.resolvedType) return 2; // a message
  if (f.resolvedType) return 0; // an enum
  if (VARINT_TYPES.has(f.type)) return 0;
  if (FIXED64_TYPES.has(f.type)) return 1;
  if (FIXED32_TYPES.has(f.type)) return 5;
  return 2; // string, bytes
}

function skipValue(c: Cursor, wt: number): boolean {
  switch (wt) {
    case 0:
      return c.varint() >= 0;
    case 1:
      return c.skip(8);
    case 2:
      return c.skip(c.varint());
    case 5:
      return c.skip(4);
    default:
      return false;
  }
}

function check(c: Cursor, type: PB.Type, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  while (c.pos < c.end) {
    const tag = c.varint();
    if (tag < 0) return false;
    const id = Math.floor(tag / 8);
    const wt = tag % 8;
    if (id === 0) return false;
    const f = type.fieldsById[id];
    if (!f) {
      if (!skipValue(c, wt)) return false;
      continue;
    }
    const want = wireTypeOf(f);
    if (want === 2 && f.resolvedType && 'fieldsArray' in f.resolvedType) {
      if (wt !== 2) return false;
      const n = c.varint();
      if (n < 0 || n > c.end - c.pos) return false;
      if (!check(new Cursor(c.b, c.pos, c.pos + n), f.resolvedType as PB.Type, depth + 1)) return false;
      c.pos += n;
    } else if (wt === want) {
      if (!skipValue(c, wt)) return false;
    } else if (f.repeated && wt === 2 && want !== 2) {
      if (!skipValue(c, 2)) return false; // packed scalars
    } else {
      return false;
    }
  }
  return c.pos === c.end;
}

export function wellFormed(buf: Uint8Array, type: PB.Type): boolean {
  return check(new Cursor(buf, 0, buf.length), type, 0);
}
