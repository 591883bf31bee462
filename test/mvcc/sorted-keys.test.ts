// The ordered key set's live counts: random inserts, deletes and liveness flips
// over enough keys to split and empty chunks, with every count checked against a
// plain sorted list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SortedKeys } from '../../src/mvcc/sorted-keys.js';
import { rng } from './util.js';

function modelCount(model: Map<string, boolean>, start: string, end: string | undefined): number {
  let n = 0;
  for (const [k, live] of model) if (live && k >= start && (end === undefined || k < end)) n++;
  return n;
}

test('countLive equals a scan of the live keys through splits, deletes and flips', () => {
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const key = () => `k${String(Math.floor(r() * 4000)).padStart(4, '0')}`;
    const model = new Map<string, boolean>();
    // Half the runs start from a bulk load, as a restart does.
    const initial = seed % 2 === 0 ? [...new Set(Array.from({ length: 1500 }, key))].sort() : [];
    const flags = initial.map(() => r() < 0.7);
    initial.forEach((k, i) => model.set(k, flags[i]!));
    const set = SortedKeys.fromSorted(initial, flags);
    for (let i = 0; i < 6000; i++) {
      const x = r();
      const k = key();
      if (x < 0.5) {
        const live = r() < 0.8;
        assert.equal(set.insert(k, live), !model.has(k));
        if (!model.has(k)) model.set(k, live);
      } else if (x < 0.7) {
        assert.equal(set.delete(k), model.delete(k));
      } else if (x < 0.85) {
        if (model.has(k)) {
          const live = r() < 0.5;
          set.setLive(k, live);
          model.set(k, live);
        } else {
          assert.throws(() => set.setLive(k, true), /not in the set/);
        }
      } else {
        const a = key();
        const b = r() < 0.2 ? undefined : key();
        assert.equal(set.countLive(a, b), modelCount(model, a, b), `seed ${seed} step ${i}: ${a}..${b}`);
      }
      assert.equal(set.size, model.size);
    }
    assert.equal(set.countLive('', undefined), modelCount(model, '', undefined));
    assert.deepEqual([...set.range('', undefined)], [...model.keys()].sort());
  }
});
