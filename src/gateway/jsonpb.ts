// JSON as etcd 3.4's grpc-gateway speaks it (golang/protobuf jsonpb, OrigName, no
// defaults): proto field names, int64 as strings, bytes as base64, enums by name,
// zero values left out. Requests may use either the proto or the lowerCamel name.
// Messages travel as their binary encoding, so the gateway hands the services
// exactly what a gRPC client would.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type * as PB from 'protobufjs';

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

/** Maps accepted JSON names onto proto names, recursively; nulls mean "unset". */
function normalize(type: PB.Type, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JsonInputError(`cannot unmarshal ${JSON.stringify(value)} into ${type.name}`);
  const byName = new Map<string, PB.Field>();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    byName.set(lowerCamel(f.name), f);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = byName.get(k);
    // Unknown fields are ignored, as etcd's gateway allows them.
    if (!f || v === null) continue;
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    if (sub && f.repeated) {
      if (!Array.isArray(v)) throw new JsonInputError(`cannot unmarshal ${JSON.stringify(v)} into repeated ${f.name}`);
      out[f.name] = v.map((x) => normalize(sub, x));
    } else if (sub) {
      out[f.name] = normalize(sub, v);
    } else {
      out[f.name] = v;
    }
  }
  return out;
}

/** The request and response message types of one service method. */
export function methodTypes(service: string, method: string): { reqType: PB.Type; resType: PB.Type } {
  const m = root.lookupService(service).methods[method];
  if (!m) throw new Error(`gateway: ${service} has no method ${method}`);
  m.resolve();
  return { reqType: m.resolvedRequestType as PB.Type, resType: m.resolvedResponseType as PB.Type };
}

/** A parsed JSON request to the binary message a gRPC client would send. */
export function jsonToBinary(type: PB.Type, json: unknown): Uint8Array {
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

/** V8's JSON.parse complaints in the words of Go's encoding/json, which etcd's gateway answers with. */
export function goJsonMessage(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Unexpected end of JSON input|Unterminated string/.test(msg)) return 'unexpected EOF';
  const at = /position (\d+)/.exec(msg);
  const token = /Unexpected token '(.)'/.exec(msg);
  const ch = at ? (text[Number(at[1])] ?? '') : token ? token[1]! : '';
  if (ch === '') return 'unexpected EOF';
  const context = /Expected ':'/.test(msg)
    ? 'after object key'
    : /Expected ',' or '}'/.test(msg)
      ? 'after object key:value pair'
      : /Expected ',' or ']'/.test(msg)
        ? 'after array element'
        : /property name/.test(msg)
          ? 'looking for beginning of object key string'
          : /after JSON/.test(msg)
            ? 'after top-level value'
            : 'looking for beginning of value';
  return `invalid character '${ch}' ${context}`;
}
