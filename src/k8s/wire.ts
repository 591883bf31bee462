// Protobuf messages read against a hand-written schema; fields the schema does
// not know are kept, decoded by shape alone and marked as undecoded.
import { createRequire } from 'node:module';
import type * as PB from 'protobufjs';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

export type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intOrString' | 'jsonRaw';
export type FieldType = Scalar | { msg: Schema } | { map: 'string' | 'bytes' };
export interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
export type Schema = Record<number, Field>;

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The key under which a field the schema does not know is shown. */
export const undecodedKey = (fieldNumber: number) => `#${fieldNumber} (undecoded)`;

function wireTypeOf(t: FieldType): number {
  if (t === 'int' || t === 'bool') return WIRE.varint;
  return WIRE.bytes;
}

function longToValue(l: PB.Long | number): number | string {
  if (typeof l === 'number') return l;
  const lo = BigInt(l.low >>> 0);
  const hi = l.unsigned ? BigInt(l.high >>> 0) : BigInt(l.high);
  const v = (hi << 32n) | lo;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** Kubernetes' metav1.Time: RFC 3339 in UTC, to the second (nanoseconds kept when set). */
function rfc3339(seconds: number, nanos: number): string {
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return nanos === 0 ? `${base}Z` : `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** The zero metav1.Time is written as an empty message; kubectl shows it as null. */
function decodeTime(b: Uint8Array): string | null {
  if (b.length === 0) return null;
  const r = protobuf.Reader.create(b);
  let seconds = 0;
  let nanos = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === (1 << 3)) seconds = Number(longToValue(r.int64()));
    else if (tag === (2 << 3)) nanos = r.int32();
    else r.skipType(tag & 7);
  }
  return rfc3339(seconds, nanos);
}

/** k8s.io/apimachinery's IntOrString: {type 1 (0 int, 1 string), intVal 2, strVal 3}. */
function decodeIntOrString(b: Uint8Array): number | string {
  const r = protobuf.Reader.create(b);
  let type = 0;
  let intVal = 0;
  let strVal = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) type = r.int32();
    else if (tag >>> 3 === 2 && (tag & 7) === 0) intVal = r.int32();
    else if (tag >>> 3 === 3 && (tag & 7) === 2) strVal = r.string();
    else r.skipType(tag & 7);
  }
  return type === 1 ? strVal : intVal;
}

/** FieldsV1 {Raw 1}: the managed-fields trie, stored as JSON. */
function decodeJsonRaw(b: Uint8Array): unknown {
  const r = protobuf.Reader.create(b);
  let raw: Uint8Array = new Uint8Array();
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) raw = r.bytes();
    else r.skipType(tag & 7);
  }
  const text = Buffer.from(raw).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function decodeMapEntry(b: Uint8Array, valueKind: 'string' | 'bytes'): [string, string] {
  const r = protobuf.Reader.create(b);
  let key = '';
  let value = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) key = r.string();
    else if (tag === ((2 << 3) | 2)) value = valueKind === 'string' ? r.string() : Buffer.from(r.bytes()).toString('base64');
    else r.skipType(tag & 7);
  }
  return [key, value];
}

function decodeLengthDelimited(t: FieldType, b: Uint8Array): unknown {
  if (t === 'string') return Buffer.from(b).toString('utf8');
  if (t === 'bytes') return Buffer.from(b).toString('base64');
  if (t === 'time') return decodeTime(b);
  if (t === 'intOrString') return decodeIntOrString(b);
  if (t === 'jsonRaw') return decodeJsonRaw(b);
  if (typeof t === 'object' && 'msg' in t) return decodeMessage(b, t.msg);
  throw new Error(`field type ${JSON.stringify(t)} is not length-delimited`);
}

function put(obj: Record<string, unknown>, key: string, value: unknown, repeated: boolean): void {
  if (!repeated) {
    obj[key] = value;
    return;
  }
  const list = (obj[key] ??= []) as unknown[];
  list.push(value);
}

/** Reads `bytes` as the message `schema` describes; unknown fields go under undecodedKey(n). */
export function decodeMessage(bytes: Uint8Array, schema: Schema): Record<string, unknown> {
  const r = protobuf.Reader.create(bytes);
  const out: Record<string, unknown> = {};
  const seenUnknown = new Map<string, unknown[]>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const fno = tag >>> 3;
    const wt = tag & 7;
    const f = schema[fno];
    if (f && typeof f.type === 'object' && 'map' in f.type && wt === WIRE.bytes) {
      const [k, v] = decodeMapEntry(r.bytes(), f.type.map);
      const m = (out[f.name] ??= {}) as Record<string, string>;
      m[k] = v;
      continue;
    }
    if (f && wireTypeOf(f.type) === wt) {
      let value: unknown;
      if (f.type === 'bool') value = r.bool();
      else if (f.type === 'int') value = longToValue(r.int64());
      else value = decodeLengthDelimited(f.type, r.bytes());
      put(out, f.name, value, f.repeated === true);
      continue;
    }
    const key = undecodedKey(fno);
    const list = seenUnknown.get(key) ?? [];
    list.push(readGeneric(r, wt));
    seenUnknown.set(key, list);
  }
  for (const [k, list] of seenUnknown) out[k] = list.length === 1 ? list[0] : list;
  return out;
}

function readGeneric(r: PB.Reader, wt: number): unknown {
  switch (wt) {
    case WIRE.varint:
      return longToValue(r.uint64());
    case WIRE.fixed64:
      return longToValue(r.fixed64());
    case WIRE.fixed32:
      return r.fixed32();
    case WIRE.bytes:
      return genericBytes(r.bytes());
    default:
      throw new Error(`unsupported wire type ${wt}`);
  }
}

const PRINTABLE = /^[\P{Cc}\t\n\r]*$/u;

/**
 * A length-delimited field of unknown type: readable text stays text, bytes that
 * parse cleanly as a message become one (field number → value), the rest base64.
 */
export function genericBytes(b: Uint8Array): unknown {
  if (b.length === 0) return '';
  try {
    const s = utf8.decode(b);
    if (PRINTABLE.test(s)) return s;
  } catch {
    // not text
  }
  const msg = tryGenericMessage(b);
  if (msg !== undefined) return msg;
  return `base64:${Buffer.from(b).toString('base64')}`;
}

function tryGenericMessage(b: Uint8Array): Record<string, unknown> | undefined {
  try {
    const r = protobuf.Reader.create(b);
    const fields: [number, unknown][] = [];
    while (r.pos < r.len) {
      const tag = r.uint32();
      const fno = tag >>> 3;
      const wt = tag & 7;
      if (fno === 0 || fno > 1 << 20 || !(wt === 0 || wt === 1 || wt === 2 || wt === 5)) return undefined;
      fields.push([fno, readGeneric(r, wt)]);
    }
    if (r.pos !== r.len || fields.length === 0) return undefined;
    const byKey = new Map<string, unknown[]>();
    for (const [fno, v] of fields) {
      const list = byKey.get(`#${fno}`) ?? [];
      list.push(v);
      byKey.set(`#${fno}`, list);
    }
    return Object.fromEntries([...byKey].map(([k, list]) => [k, list.length === 1 ? list[0] : list]));
  } catch {
    return undefined;
  }
}
