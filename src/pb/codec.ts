// The protobuf wire codec for etcd's .proto files (protobufjs, reflection-built
// encoders). Decoded messages are turned into plain in-process objects: every
// field present with its proto3 default, int64 revisions and counts as numbers,
// 64-bit IDs (lease, member, cluster) as bigints so no bit is lost.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import type * as PB from 'protobufjs';
import { isMainThread, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');
const Long = require('long');

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'proto');

/** Fields holding random 64-bit identifiers: kept as bigint in process. */
const ID_FIELDS = new Set(['ID', 'clusterId', 'memberId', 'lease', 'leader', 'targetID', 'memberID', 'NodeID', 'ClusterID']);

// protobufjs encodes int64 through LongBits.from, which knows numbers, strings
// and Longs; teach it bigints so in-process IDs encode without conversion.
const LongBits = (protobuf.util as unknown as { LongBits: any }).LongBits;
const longBitsFrom = LongBits.from;
LongBits.from = function from(value: unknown) {
  if (typeof value === 'bigint') {
    const u = BigInt.asUintN(64, value);
    return new LongBits(Number(u & 0xffffffffn), Number(u >> 32n));
  }
  return longBitsFrom.call(LongBits, value);
};

/**
 * How deep messages may nest. The only recursion in etcd's requests is a Txn inside
 * a Txn's RequestOp (two levels a step), which etcd decodes to any depth and then
 * refuses once the nested ops outgrow --max-txn-ops (128 by default, one op a step
 * at least). protobufjs stops at 100, which refused txns etcd takes; past this
 * limit a txn is deeper than any --max-txn-ops short of 500 allows.
 */
export const MAX_MESSAGE_DEPTH = 1000;
(protobuf.util as unknown as { recursionLimit: number }).recursionLimit = MAX_MESSAGE_DEPTH;
(protobuf.Reader as unknown as { recursionLimit: number }).recursionLimit = MAX_MESSAGE_DEPTH;

/** protobufjs's words when a message nests deeper than MAX_MESSAGE_DEPTH. */
export function isTooDeep(err: unknown): boolean {
  return err instanceof Error && err.message === 'max depth exceeded';
}

/** workerData key under which a thread is handed the parsed protos (see protoRootJson). */
export const PROTO_ROOT_KEY = 'etcdProtoRoot';

export const root: PB.Root = (() => {
  // A thread started by this process gets the protos already parsed: reading them
  // back from JSON costs a third of parsing the .proto files again.
  const given = !isMainThread && workerData && typeof workerData === 'object' ? (workerData as Record<string, unknown>)[PROTO_ROOT_KEY] : undefined;
  if (given) {
    const r = protobuf.Root.fromJSON(given as PB.INamespace);
    r.resolveAll();
    return r;
  }
  const r = new protobuf.Root();
  r.resolvePath = (_origin: string, target: string) => join(protoDir, target);
  r.loadSync([
    'etcdserverpb/rpc.proto',
    'etcdserverpb/raft_internal.proto',
    'v3lockpb/v3lock.proto',
    'v3electionpb/v3election.proto',
    'leasepb/lease.proto',
  ]);
  r.resolveAll();
  return r;
})();

/** The parsed protos as JSON, for a thread this process starts (workerData[PROTO_ROOT_KEY]). */
export function protoRootJson(): object {
  return root.toJSON();
}

type Converter = (wire: any) => any;
const converters = new Map<PB.Type, Converter>();

function longToNumber(v: any): number {
  if (typeof v === 'number') return v;
  return v.toNumber();
}
function longToBigint(v: any, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return unsigned ? u : BigInt.asIntN(64, u);
}

const EMPTY = new Uint8Array(0);

const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function scalarConverter(field: PB.Field): (v: any) => any {
  if (!INT64_TYPES.has(field.type)) return (v) => v;
  if (!ID_FIELDS.has(field.name)) return longToNumber;
  const unsigned = field.type === 'uint64' || field.type === 'fixed64';
  return (v) => longToBigint(v, unsigned);
}

function defaultOf(field: PB.Field): any {
  if (field.repeated) return [];
  if (field.resolvedType instanceof protobuf.Type) return undefined;
  if (INT64_TYPES.has(field.type)) return ID_FIELDS.has(field.name) ? 0n : 0;
  switch (field.type) {
    case 'bytes':
      return EMPTY;
    case 'string':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function converterFor(type: PB.Type): Converter {
  let conv = converters.get(type);
  if (conv) return conv;
  const steps: Array<(wire: any, out: any) => void> = [];
  conv = (wire: any) => {
    const out: any = {};
    for (const step of steps) step(wire, out);
    return out;
  };
  converters.set(type, conv);
  for (const field of type.fieldsArray) {
    const name = field.name;
    const inOneof = field.partOf !== null && field.partOf !== undefined;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const one: (v: any) => any = sub ? (v) => converterFor(sub)(v) : scalarConverter(field);
    const dflt = defaultOf(field);
    if (field.repeated) {
      steps.push((w, o) => {
        const v = w[name];
        o[name] = v && v.length ? v.map(one) : [];
      });
    } else if (sub || inOneof) {
      steps.push((w, o) => {
        if (Object.prototype.hasOwnProperty.call(w, name) && w[name] !== null && w[name] !== undefined) o[name] = one(w[name]);
        else if (!sub && !inOneof) o[name] = dflt;
      });
    } else {
      // Unset fields live on protobufjs's prototype (bytes as []), so only own properties count.
      steps.push((w, o) => {
        const v = Object.prototype.hasOwnProperty.call(w, name) ? w[name] : undefined;
        o[name] = v === null || v === undefined ? dflt : one(v);
      });
    }
  }
  return conv;
}

export interface MessageCodec<T> {
  readonly type: PB.Type;
  decode(buf: Uint8Array): T;
  encode(msg: T): Uint8Array;
}

const codecs = new Map<string, MessageCodec<any>>();

/** A codec for one message type, e.g. `codec<RangeRequest>('etcdserverpb.RangeRequest')`. */
export function codec<T>(fullName: string): MessageCodec<T> {
  let c = codecs.get(fullName);
  if (c) return c;
  const type = root.lookupType(fullName);
  const conv = converterFor(type);
  c = {
    type,
    decode: (buf: Uint8Array) => conv(type.decode(buf)) as T,
    encode: (msg: T) => type.encode(msg as any).finish(),
  };
  codecs.set(fullName, c);
  return c;
}

/** The proto definition of a service, for wiring handlers by method name. */
export function serviceMethods(fullName: string): Array<{ name: string; requestType: string; responseType: string; requestStream: boolean; responseStream: boolean }> {
  const svc = root.lookupService(fullName);
  return svc.methodsArray.map((m) => ({
    name: m.name,
    requestType: (m.resolvedRequestType as PB.Type).fullName.slice(1),
    responseType: (m.resolvedResponseType as PB.Type).fullName.slice(1),
    requestStream: !!m.requestStream,
    responseStream: !!m.responseStream,
  }));
}

export { Long };
