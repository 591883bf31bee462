// Events between two revisions, read back from the key bucket: each stored
// revision is one change; a tombstone is a DELETE whose kv holds only the key.
import { EventType, type Event, type KeyValue } from '../pb/kv.js';
import type { MvccStore } from '../mvcc/store.js';
import { decodeKeyValue } from '../pb/keyvalue.js';
import { isTombstone, mainRevPrefix, readUint64 } from '../mvcc/revision.js';
import { Errors } from '../rpctypes/errors.js';

/** Events with fromRev ≤ revision ≤ toRev, in revision order. */
export function readEvents(store: MvccStore, fromRev: number, toRev: number): Event[] {
  if (fromRev > toRev) return [];
  const out: Event[] = [];
  for (const [k, v] of store.backend.range('key', mainRevPrefix(fromRev), mainRevPrefix(toRev + 1))) {
    const main = readUint64(k, 0);
    // Copied: the backend may reuse or free its buffers once the read is over.
    const kv = decodeKeyValue(v, true);
    if (isTombstone(k)) {
      out.push({ type: EventType.DELETE, kv: { ...kv, modRevision: main } });
    } else {
      out.push({ type: EventType.PUT, kv });
    }
  }
  return out;
}

/** The key's value just before rev, or undefined if it did not exist or that revision is compacted. */
export function prevKvAt(store: MvccStore, key: Uint8Array, rev: number): KeyValue | undefined {
  if (rev - 1 < 1) return undefined;
  try {
    const r = store.internalRange(key, undefined, { rev: rev - 1 });
    return r.kvs[0] !== undefined ? copyKv(r.kvs[0]) : undefined;
  } catch (err) {
    if (err === Errors.Compacted) return undefined;
    throw err;
  }
}

function copyKv(kv: KeyValue): KeyValue {
  return { ...kv, key: Buffer.from(kv.key), value: Buffer.from(kv.value) };
}
