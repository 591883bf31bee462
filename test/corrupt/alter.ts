// Alters a stopped member's stored data on purpose, for the corruption checks' tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ClusterMember } from '../helpers/cluster.js';
import { LmdbBackend } from '../../src/backend/index.js';
import { decodeKeyValue, encodeKeyValue } from '../../src/mvcc/index.js';

/**
 * Changes the value stored for `key` in a stopped member's backend, leaving its index
 * intact. The key must not have been overwritten since a compaction: HashKV leaves out
 * revisions a compaction at the hashed revision would drop, so altering those goes unseen.
 */
export async function corruptOneValue(m: ClusterMember, key: string): Promise<void> {
  const be = LmdbBackend.open(join(m.dataDir, 'member', 'snap', 'db'));
  try {
    let target: [Uint8Array, Uint8Array] | undefined;
    for (const [k, v] of be.range('key', new Uint8Array([0]))) {
      if (Buffer.from(decodeKeyValue(v).key).toString() === key) {
        target = [Buffer.from(k), Buffer.from(v)];
        break;
      }
    }
    assert.ok(target, 'a stored key-value to alter');
    const kv = decodeKeyValue(target[1]);
    be.put('key', target[0], encodeKeyValue({ ...kv, value: Buffer.from('tampered') }));
    await be.commit();
  } finally {
    await be.close();
  }
}
