// JSON as Go's encoding/json writes etcd's gogo-protobuf structs: proto field
// names, omitempty, bytes as base64, 64-bit integers exact, oneofs wrapped in
// their Go field names, enums as numbers.
import { createRequire } from 'node:module';
import type * as PB from 'protobufjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from '../../pb/codec.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

/** A value already rendered as JSON text. */
export class Raw {
  constructor(readonly text: string) {}
}

export function stringify(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : JSON.stringify(v);
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `"${Buffer.from(v).toString('base64')}"`;
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `{${entries.map(([k, x]) => `${goString(k)}:${stringify(x)}`).join(',')}}`;
}

/** Go escapes <, > and & in JSON strings. */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goFieldName(protoName: string): string {
  return protoName
    .split('_')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('');
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c, i) => (i > 0 && /[a-z]/.test(camel[i - 1]!) ? '_' : '') + c.toLowerCase());
}

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'proto');

/**
 * The same protos with field names as written in the .proto files (the wire codec
 * keeps camelCase only); parsed on first use, as only JSON and text outputs need them.
 */
let written: PB.Root | undefined;
function writtenRoot(): PB.Root {
  if (written === undefined) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin: string, target: string) => join(protoDir, target);
    r.loadSync(['etcdserverpb/rpc.proto', 'v3lockpb/v3lock.proto', 'v3electionpb/v3election.proto'], { keepCase: true });
    r.resolveAll();
    written = r;
  }
  return written;
}

const names = new Map<PB.Type, Map<number, string>>();
/** A field's name as written in its .proto file. */
export function nameOf(type: PB.Type, field: PB.Field): string {
  let m = names.get(type);
  if (!m) {
    m = new Map(writtenRoot().lookupType(type.fullName).fieldsArray.map((f) => [f.id, f.name]));
    names.set(type, m);
  }
  return m.get(field.id) ?? field.name;
}

function isEmpty(field: PB.Field, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (field.repeated) return (v as unknown[]).length === 0;
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === 0n || v === false || v === '';
}

/** The Go JSON object of a decoded message of `typeName` (e.g. 'etcdserverpb.RangeResponse'). */
export function pbJson(typeName: string, msg: any): Record<string, unknown> {
  return messageJson(root.lookupType(typeName), msg);
}

function valueJson(field: PB.Field, v: any): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return field.repeated ? v.map((x: any) => messageJson(t, x)) : messageJson(t, v);
  return v;
}

function messageJson(type: PB.Type, msg: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofDone = new Set<string>();
  for (const field of type.fieldsArray) {
    const oneof = field.partOf;
    if (oneof) {
      // gogo's oneof: an interface field named after the oneof holding a wrapper struct named after the member.
      const goOneof = goFieldName(oneof.name);
      if (oneofDone.has(goOneof)) continue;
      const member = oneof.fieldsArray.find((f) => msg[f.name] !== undefined && msg[f.name] !== null);
      if (member) {
        oneofDone.add(goOneof);
        out[goOneof] = { [goFieldName(nameOf(type, member))]: valueJson(member, msg[member.name]) };
      }
      continue;
    }
    const v = msg[field.name];
    if (isEmpty(field, v)) continue;
    out[nameOf(type, field)] = valueJson(field, v);
  }
  return out;
}
