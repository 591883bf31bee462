// keyHistory against a store of one key held in memory: the walk reads each version
// with a range at the revision before, and never takes revision 0 (the current one)
// for "before revision 1".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyHistory } from '../../src/dashboard/history.js';
import type { RangeCall } from '../../src/dashboard/calls.js';
import type { KeyValue } from '../../src/pb/kv.js';

const key = new TextEncoder().encode('k');
const kv = (modRevision: number, version: number, createRevision: number): KeyValue => ({ key, value: new Uint8Array(0), modRevision, version, createRevision, lease: 0n });

test('a key first written at revision 1 ends its history there, without reading the current revision again', async () => {
  // Versions at revisions 1 and 2; the store is at revision 2.
  const versions = [kv(1, 1, 1), kv(2, 2, 1)];
  const reads: number[] = [];
  const range: RangeCall = async (req) => {
    const at = req.revision ?? 0;
    reads.push(at);
    const rev = at === 0 ? 2 : at;
    const found = versions.filter((v) => v.modRevision <= rev).pop();
    return { header: { clusterId: 0n, memberId: 0n, revision: 2, raftTerm: 0 }, kvs: found ? [found] : [], more: false, count: found ? 1 : 0 };
  };
  const page = await keyHistory(range, async () => [], key, { limit: 50 });
  assert.deepEqual(page.entries.map((e) => (e.kind === 'put' ? e.kv.modRevision : -e.modRevision)), [2, 1]);
  assert.equal(page.end, 'created');
  assert.equal(page.endRevision, 1);
  assert.deepEqual(reads, [0, 1]);
});
