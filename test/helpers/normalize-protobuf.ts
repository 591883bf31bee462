// etcdctl -w protobuf prints the marshaled response. Decoding it with etcd's
// protos and masking the header identities makes two servers' answers comparable
// field by field (the raw bytes differ only because varint IDs differ in length).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as PB from 'protobufjs';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');
const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));

let root: PB.Root | undefined;
function rpcRoot(): PB.Root {
  if (root === undefined) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin: string, target: string) => join(protoRoot, target);
    r.loadSync('etcdserverpb/rpc.proto', { keepCase: true });
    root = r;
  }
  return root;
}

const MASKED_HEADER_FIELDS = ['cluster_id', 'member_id', 'raft_term'];

function maskHeaders(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskHeaders);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'header' && x !== null && typeof x === 'object') {
      const h = { ...(x as Record<string, unknown>) };
      for (const f of MASKED_HEADER_FIELDS) if (f in h) h[f] = `<${f}>`;
      out[k] = h;
    } else {
      out[k] = maskHeaders(x);
    }
  }
  return out;
}

/**
 * Decodes `bytes` as `etcdserverpb.<messageType>` (e.g. 'RangeResponse') into a
 * plain object: int64 as decimal strings, bytes as base64, header IDs and term masked.
 * Fails when the bytes are not a well-formed message of that type.
 */
export function normalizeProtobuf(bytes: Buffer, messageType: string): unknown {
  const type = rpcRoot().lookupType(`etcdserverpb.${messageType}`);
  const msg = type.decode(bytes);
  return maskHeaders(type.toObject(msg, { longs: String, bytes: String, defaults: false, oneofs: true }));
}
