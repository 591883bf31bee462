// Protobuf as etcdctl -w protobuf writes it: gogo's Marshal of etcd's response
// structs (proto3: zero scalars, empty strings, bytes and lists left out; fields
// in number order), and the %v text Go prints for a value it cannot marshal.
import { createRequire } from 'node:module';
import type * as PB from 'protobufjs';
import { root } from '../../pb/codec.js';
import { nameOf } from './gojson.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

function isZero(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === 0n || v === false || v === '';
}

/** The message without the fields gogo would not write; a present sub-message is kept even when empty. */
function sparse(type: PB.Type, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    if (v === undefined || v === null) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.repeated) {
      const list = v as unknown[];
      if (list.length > 0) out[field.name] = sub ? list.map((x) => sparse(sub, x as Record<string, unknown>)) : list;
    } else if (sub) out[field.name] = sparse(sub, v as Record<string, unknown>);
    else if (field.partOf || !isZero(v)) out[field.name] = v;
  }
  return out;
}

/** gogo's Marshal of `msg` as `typeName` (e.g. 'etcdserverpb.RangeResponse'). */
export function marshal(typeName: string, msg: object): Uint8Array {
  const type = root.lookupType(typeName);
  return type.encode(sparse(type, msg as Record<string, unknown>)).finish();
}

/** Go's %v of a generated message pointer: its compact text form ("name:value " per set field). */
export function compactText(typeName: string, msg: object | undefined): string {
  if (msg === undefined) return '<nil>';
  const type = root.lookupType(typeName);
  const written = sparse(type, msg as Record<string, unknown>);
  let out = '';
  for (const field of type.fieldsArray) {
    const v = written[field.name];
    if (v === undefined) continue;
    if (typeof v === 'object' && !(v instanceof Uint8Array)) throw new Error(`compactText: ${typeName}.${field.name} is not a scalar`);
    out += `${nameOf(type, field)}:${String(v)} `;
  }
  return out;
}
