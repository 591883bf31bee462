// One level of the key tree, paged at random limits over random key spaces, must
// list exactly the distinct first segments under the prefix, in order, with the
// number of keys under each, whatever the page size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { treeLevel } from '../../src/dashboard/tree.js';
import type { RangeCall } from '../../src/dashboard/calls.js';
import type { KeyValue } from '../../src/pb/kv.js';
import { rng } from '../mvcc/util.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Range over a sorted key list with etcd's semantics for range_end, limit, count and more. */
function fakeRange(keys: string[], reads: { n: number }): RangeCall {
  return async (req) => {
    reads.n++;
    const start = Buffer.from(req.key).toString('latin1');
    const end = req.rangeEnd && req.rangeEnd.length ? Buffer.from(req.rangeEnd).toString('latin1') : undefined;
    const all = end === undefined ? keys.filter((k) => k === start) : keys.filter((k) => k >= start && (end === '\0' || k < end));
    const shown = req.countOnly ? [] : req.limit ? all.slice(0, req.limit) : all;
    const kvs: KeyValue[] = shown.map((k) => ({ key: bytes(k), value: new Uint8Array(), createRevision: 1, modRevision: 1, version: 1, lease: 0n }));
    return { header: { clusterId: 0n, memberId: 0n, revision: 7, raftTerm: 1 }, kvs, more: all.length > kvs.length, count: all.length };
  };
}

/** What a level must list: first segments (up to and including a "/" past their first byte) with counts. */
function expected(keys: string[], prefix: string): string[] {
  const out = new Map<string, number>();
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    const slash = rest.indexOf('/', 1);
    const name = slash < 0 ? rest : rest.slice(0, slash + 1) + '/';
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return [...out].map(([n, c]) => `${n}:${c}`);
}

test('tree levels page through random key spaces exactly', async () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const r = rng(seed);
    const pick = (xs: string[]) => xs[Math.floor(r() * xs.length)]!;
    const set = new Set<string>();
    const segs = ['a', 'b', 'bb', 'c/', '/x', 'd', '\xff', 'e\x00'];
    for (let i = 0; i < 400; i++) {
      const depth = 1 + Math.floor(r() * 4);
      let k = r() < 0.3 ? '/' : '';
      for (let d = 0; d < depth; d++) k += pick(segs) + (d < depth - 1 || r() < 0.2 ? '/' : '');
      set.add(k);
    }
    const keys = [...set].sort();
    for (const prefix of ['', '/', 'a/', 'b/', '/a/', 'c//', 'zz/']) {
      for (const limit of [1, 2, 3, 7, 1000]) {
        const reads = { n: 0 };
        const range = fakeRange(keys, reads);
        const got: string[] = [];
        let after: Uint8Array | undefined;
        let pages = 0;
        do {
          const level = await treeLevel(range, bytes(prefix), { after, limit });
          assert.ok(level.children.length <= limit);
          assert.equal(level.total, keys.filter((k) => k.startsWith(prefix)).length);
          // The marker "/" doubles as a name separator in expected(); undo it for directories.
          for (const c of level.children) got.push(`${Buffer.from(c.name).toString('latin1')}${c.dir ? '/' : ''}:${c.count}`);
          after = level.next;
          assert.ok(++pages < 1000, 'paging ends');
        } while (after !== undefined);
        assert.deepEqual(got, expected(keys, prefix), `seed ${seed} prefix ${JSON.stringify(prefix)} limit ${limit}`);
      }
    }
  }
});
