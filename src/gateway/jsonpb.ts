// JSON as etcd 3.4's grpc-gateway speaks it (golang/protobuf jsonpb, OrigName, no
// defaults): proto field names, int64 as strings, bytes as base64, enums by name,
// zero values left out. Requests may use either the proto or the lowerCamel name.
// Messages travel as their binary encoding, so the gateway hands the services
// exactly what a gRPC client would.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type * as PB from 'protobufjs';
import { MAX_MESSAGE_DEPTH } from '../pb/codec.js';
import { Errors } from '../rpctypes/errors.js';
import { goBase64, goInteger, goKind, JsonNumber, parseGoJson, writtenText, type JsonValue } from './go-json.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'proto');

/** The .proto files with field names as written: jsonpb's OrigName. */
const root: PB.Root = (() => {
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string) => join(protoDir, target);
  r.loadSync(['etcdserverpb/rpc.proto', 'v3lockpb/v3lock.proto', 'v3electionpb/v3election.proto'], { keepCase: true });
  r.resolveAll();
  return r;
})();

export class JsonInputError extends Error {}

const lowerCamel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());


/** The Go type golang/protobuf generates for an enum: its package, then the nesting joined by '_'. */
function goEnumName(e: PB.Enum): string {
  let pkg: PB.NamespaceBase | null = e.parent;
  while (pkg instanceof protobuf.Type) pkg = pkg.parent;
  const prefix = pkg?.fullName ?? '';
  return `${prefix.replace(/^\./, '')}.${e.fullName.slice(prefix.length + 1).split('.').join('_')}`;
}

const INT_WIDTH: Record<string, 'int64' | 'uint64' | 'int32' | 'uint32'> = {
  int64: 'int64', sint64: 'int64', sfixed64: 'int64', uint64: 'uint64', fixed64: 'uint64',
  int32: 'int32', sint32: 'int32', sfixed32: 'int32', uint32: 'uint32', fixed32: 'uint32',
};

/**
 * One field's JSON value as jsonpb reads it into the Go field, for protobufjs's fromObject.
 * `written`: a string value's text as written, where it differs from the decoded one;
 * a quoted number is read from it, as jsonpb drops the quotes from the bytes.
 */
function scalar(f: PB.Field, v: JsonValue, written: string | undefined): unknown {
  const e = f.resolvedType instanceof protobuf.Enum ? f.resolvedType : undefined;
  if (e) {
    if (typeof v === 'string') {
      const n = e.values[v];
      if (n === undefined) throw new JsonInputError(`unknown value ${JSON.stringify(v)} for enum ${goEnumName(e)}`);
      return n;
    }
    return Number(goInteger(v, 'int32', goEnumName(e)));
  }
  const width = INT_WIDTH[f.type];
  if (width) return goInteger(typeof v === 'string' ? (written ?? v) : v, width).toString();
  switch (f.type) {
    case 'bytes':
      // encoding/json takes a []byte as base64 text, or as an array of byte values.
      if (Array.isArray(v)) return Buffer.from(v.map((x) => (x === null ? 0 : x instanceof JsonNumber ? Number(goInteger(x, 'uint8')) : notNumber(x))));
      if (typeof v !== 'string') throw new JsonInputError(`json: cannot unmarshal ${goKind(v)} into Go value of type []uint8`);
      return goBase64(v);
    case 'string':
      if (typeof v !== 'string') throw new JsonInputError(`json: cannot unmarshal ${goKind(v)} into Go value of type string`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new JsonInputError(`json: cannot unmarshal ${goKind(v)} into Go value of type bool`);
      return v;
    default: {
      // Floating point: a number, or one quoted.
      const num = typeof v === 'string' ? parseGoJson(written ?? v, 'unmarshal') : v;
      if (!(num instanceof JsonNumber)) throw new JsonInputError(`json: cannot unmarshal ${goKind(num)} into Go value of type float64`);
      return Number(num.literal);
    }
  }
}

/** An array element of a []byte that is not a number: the type error Go names. */
function notNumber(x: JsonValue): never {
  throw new JsonInputError(`json: cannot unmarshal ${goKind(x)} into Go value of type uint8`);
}

function array(v: JsonValue): JsonValue[] {
  if (!Array.isArray(v)) throw new JsonInputError(`json: cannot unmarshal ${goKind(v)} into Go value of type []json.RawMessage`);
  return v;
}

/**
 * Maps accepted JSON names onto proto names and checks each value against its
 * field's type as golang/protobuf's jsonpb does (fields in declaration order, the
 * first bad one reported in Go's words); nulls mean "unset", unknown fields are
 * ignored, as etcd's gateway allows them.
 */
function normalize(type: PB.Type, value: JsonValue, depth = 0): Record<string, unknown> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber) throw new JsonInputError(`json: cannot unmarshal ${goKind(value)} into Go value of type map[string]json.RawMessage`);
  // Only a txn nests: this deep, it holds more ops than etcd's check lets through.
  if (depth > MAX_MESSAGE_DEPTH) throw Errors.TooManyOps;
  const out: Record<string, unknown> = {};
  // jsonpb visits the plain fields first, then the oneofs.
  const fields = [...type.fieldsArray.filter((f) => !f.partOf), ...type.fieldsArray.filter((f) => f.partOf)];
  for (const f of fields) {
    const name = Object.hasOwn(value, f.name) ? f.name : Object.hasOwn(value, lowerCamel(f.name)) ? lowerCamel(f.name) : undefined;
    if (name === undefined) continue;
    const v = value[name]!;
    if (v === null) continue;
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    if (f.repeated) out[f.name] = array(v).map((x, k, all) => (sub ? normalize(sub, x, depth + 1) : x === null ? zero(f) : scalar(f, x, writtenText(all, k))));
    else out[f.name] = sub ? normalize(sub, v, depth + 1) : scalar(f, v, writtenText(value, name));
  }
  return out;
}

/** A null element of a repeated scalar: Go leaves it at its zero value. */
function zero(f: PB.Field): unknown {
  if (f.type === 'bytes') return Buffer.alloc(0);
  if (f.type === 'string') return '';
  if (f.type === 'bool') return false;
  return 0;
}

/** The request and response message types of one service method. */
export function methodTypes(service: string, method: string): { reqType: PB.Type; resType: PB.Type } {
  const m = root.lookupService(service).methods[method];
  if (!m) throw new Error(`gateway: ${service} has no method ${method}`);
  m.resolve();
  return { reqType: m.resolvedRequestType as PB.Type, resType: m.resolvedResponseType as PB.Type };
}

/** A parsed JSON request to the binary message a gRPC client would send. */
export function jsonToBinary(type: PB.Type, json: JsonValue): Uint8Array {
  const obj = normalize(type, json);
  let msg: PB.Message;
  try {
    msg = type.fromObject(obj);
  } catch (err) {
    throw new JsonInputError(err instanceof Error ? err.message : String(err));
  }
  return type.encode(msg).finish();
}

/** A binary response to jsonpb's text (OrigName, EmitDefaults false). */
export function binaryToJson(type: PB.Type, bytes: Uint8Array): Record<string, unknown> {
  return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: false, arrays: false, json: true });
}
