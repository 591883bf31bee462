// HashKV's compacted-range filter against a model of etcd's rule: a revision at or
// below the compact revision counts only if it is its key's latest revision at or
// below the hashed revision and not a tombstone (etcd's kvindex.Keep(rev)); no filter
// at all when no key keeps anything. Random puts, deletes and compactions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { bytesToRev, mainRevPrefix } from '../../src/mvcc/revision.js';
import { Crc32c } from '../../src/pkg/crc32c.js';
import { rng } from './util.js';

interface Change {
  rev: number;
  tombstone: boolean;
}

function modelHash(backend: MemoryBackend, history: Map<string, Change[]>, atRev: number, compactRev: number): number {
  const keep = new Set<number>();
  for (const changes of history.values()) {
    const latest = changes.filter((c) => c.rev <= atRev).at(-1);
    if (latest && !latest.tombstone) keep.add(latest.rev);
  }
  const h = new Crc32c().update(Buffer.from('key'));
  for (const [k, v] of backend.range('key', mainRevPrefix(0), mainRevPrefix(atRev + 1))) {
    const r = bytesToRev(k);
    if (r.main <= compactRev && keep.size > 0 && !keep.has(r.main)) continue;
    h.update(k).update(v);
  }
  return h.digest();
}

test('the compacted-range filter of HashKV follows etcd\'s Keep(rev) rule over random histories', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rand = rng(seed);
    const backend = new MemoryBackend();
    const store = MvccStore.open(backend);
    const history = new Map<string, Change[]>();
    let compactRev = -1;
    for (let step = 0; step < 120; step++) {
      const key = `k${Math.floor(rand() * 6)}`;
      const roll = rand();
      if (roll < 0.6) {
        const t = store.write();
        t.put(Buffer.from(key), Buffer.from(`v${step}`), 0n);
        t.end();
        const list = history.get(key) ?? [];
        list.push({ rev: store.rev(), tombstone: false });
        history.set(key, list);
      } else if (roll < 0.85) {
        const t = store.write();
        const n = t.deleteRange(Buffer.from(key)).deleted;
        t.end();
        if (n > 0) history.get(key)!.push({ rev: store.rev(), tombstone: true });
      } else if (store.rev() > compactRev + 1) {
        compactRev = compactRev + 1 + Math.floor(rand() * (store.rev() - compactRev - 1));
        store.compact(compactRev);
      }
      for (const at of [store.rev(), Math.max(compactRev + 1, store.rev() - 3)]) {
        if (at <= compactRev || at < 1) continue;
        const got = store.hashKV(at);
        assert.equal(got.hash, modelHash(backend, history, at, compactRev), `seed ${seed} step ${step}: hash at ${at} (compacted at ${compactRev})`);
      }
    }
  }
});
