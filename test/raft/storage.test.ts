import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactedError, EntryType, MemoryStorage, SnapOutOfDateError, UnavailableError, type Entry } from '../../src/raft/index.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });

test('MemoryStorage: append truncates the conflicting suffix', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  s.append([ent(2, 3), ent(3, 3), ent(4, 3)]);
  assert.equal(s.lastIndex(), 4);
  assert.deepEqual([1, 2, 3, 4].map((i) => s.term(i)), [1, 3, 3, 3]);
  assert.throws(() => s.append([ent(7, 3)]), /missing log entry/);
});

test('MemoryStorage: term/entries signal compaction and unavailability', () => {
  const s = new MemoryStorage();
  s.append([1, 2, 3, 4, 5].map((i) => ent(i, 1)));
  s.compact(3);
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.term(3), 1, 'the compaction point keeps its term');
  assert.throws(() => s.term(2), CompactedError);
  assert.throws(() => s.term(6), UnavailableError);
  assert.throws(() => s.entries(3, 5, Infinity), CompactedError);
  assert.deepEqual(s.entries(4, 6, Infinity).map((e) => e.index), [4, 5]);
  assert.deepEqual(s.entries(4, 6, 1).map((e) => e.index), [4], 'a size limit still returns one entry');
  assert.throws(() => s.compact(2), CompactedError);
});

test('MemoryStorage: snapshots replace the log and must move forward', () => {
  const s = new MemoryStorage();
  s.append([1, 2, 3].map((i) => ent(i, 2)));
  const snap = s.createSnapshot(2, { voters: [1n, 2n], learners: [3n] }, new Uint8Array([9]));
  assert.deepEqual(snap.metadata, { index: 2, term: 2, confState: { voters: [1n, 2n], learners: [3n] } });
  assert.throws(() => s.createSnapshot(1, { voters: [], learners: [] }, new Uint8Array()), SnapOutOfDateError);
  const other = new MemoryStorage();
  other.applySnapshot({ metadata: { index: 10, term: 4, confState: { voters: [1n], learners: [] } }, data: new Uint8Array() });
  assert.equal(other.firstIndex(), 11);
  assert.equal(other.lastIndex(), 10);
  assert.equal(other.term(10), 4);
  assert.deepEqual(other.initialState().confState.voters, [1n]);
  assert.throws(() => other.applySnapshot({ metadata: { index: 9, term: 4, confState: { voters: [], learners: [] } }, data: new Uint8Array() }), SnapOutOfDateError);
});

test('MemoryStorage.bootstrap: founding members start configured at index 1', () => {
  const s = MemoryStorage.bootstrap([1n, 2n, 3n]);
  const st = s.initialState();
  assert.deepEqual(st.confState.voters, [1n, 2n, 3n]);
  assert.deepEqual(st.hardState, { term: 1, vote: 0n, commit: 1 });
  assert.equal(s.firstIndex(), 2);
  assert.equal(s.lastIndex(), 1);
});
