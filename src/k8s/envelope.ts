// Values Kubernetes' apiserver writes to etcd: protobuf objects in the "k8s\0"
// envelope (a runtime.Unknown), or JSON (custom resources).
import { createRequire } from 'node:module';
import type * as PB from 'protobufjs';
import { decodeMessage, type Schema } from './wire.js';
import { KINDS, UNKNOWN_KIND } from './schemas.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

export const K8S_MAGIC = Uint8Array.from([0x6b, 0x38, 0x73, 0x00]);

export interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export type Decoded =
  | { form: 'protobuf'; object: Record<string, unknown> }
  | { form: 'json'; object: unknown }
  | { form: 'other' };

export function hasEnvelope(v: Uint8Array): boolean {
  return v.length >= 4 && K8S_MAGIC.every((b, i) => v[i] === b);
}

/** runtime.Unknown {typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3, contentType 4}. */
export function readUnknown(body: Uint8Array): Unknown {
  const u: Unknown = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  const r = protobuf.Reader.create(body);
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2: {
        const t = protobuf.Reader.create(r.bytes());
        while (t.pos < t.len) {
          const tt = t.uint32();
          if (tt === ((1 << 3) | 2)) u.apiVersion = t.string();
          else if (tt === ((2 << 3) | 2)) u.kind = t.string();
          else t.skipType(tt & 7);
        }
        break;
      }
      case (2 << 3) | 2:
        u.raw = r.bytes();
        break;
      case (3 << 3) | 2:
        u.contentEncoding = r.string();
        break;
      case (4 << 3) | 2:
        u.contentType = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return u;
}

export function schemaFor(apiVersion: string, kind: string): Schema {
  return KINDS[`${apiVersion}/${kind}`] ?? UNKNOWN_KIND;
}

/** A stored value as an object with apiVersion and kind first, when it is one. */
export function decodeValue(v: Uint8Array): Decoded {
  if (hasEnvelope(v)) {
    try {
      const u = readUnknown(v.subarray(4));
      const body = decodeMessage(u.raw, schemaFor(u.apiVersion, u.kind));
      return { form: 'protobuf', object: { apiVersion: u.apiVersion, kind: u.kind, ...body } };
    } catch {
      return { form: 'other' };
    }
  }
  const text = Buffer.from(v).toString('utf8');
  if (/^\s*[{[]/.test(text)) {
    try {
      return { form: 'json', object: JSON.parse(text) };
    } catch {
      // not JSON after all
    }
  }
  return { form: 'other' };
}
