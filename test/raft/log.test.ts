import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog } from '../../src/raft/log.js';
import { EntryType, MemoryStorage, type Entry } from '../../src/raft/index.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array() });
const terms = (l: RaftLog): number[] => l.entries(l.firstIndex(), Infinity).map((e) => e.term);

function logWith(...t: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(t.map((term, i) => ent(i + 1, term)));
  return new RaftLog(s, Infinity);
}

test('log: maybeAppend refuses a mismatched predecessor and truncates only on conflict', () => {
  const l = logWith(1, 2, 3);
  assert.equal(l.maybeAppend(3, 2, 0, [ent(4, 4)]), -1, 'entry 3 has term 3, not 2');
  // Entries that already match don't truncate anything after them (a stale, reordered MsgApp).
  assert.equal(l.maybeAppend(1, 1, 0, [ent(2, 2)]), 2);
  assert.deepEqual(terms(l), [1, 2, 3]);
  // A conflict at 3 replaces the suffix.
  assert.equal(l.maybeAppend(2, 2, 2, [ent(3, 4), ent(4, 4)]), 4);
  assert.deepEqual(terms(l), [1, 2, 4, 4]);
  assert.equal(l.committed, 2);
  assert.throws(() => l.maybeAppend(1, 1, 2, [ent(2, 5)]), /conflicts with committed/);
});

test('log: findConflictByTerm skips a whole term of divergent entries', () => {
  const l = logWith(1, 1, 2, 2, 2, 5, 5);
  assert.equal(l.findConflictByTerm(7, 3), 5, 'entries 6,7 (term 5) cannot match a term-3 log');
  assert.equal(l.findConflictByTerm(7, 1), 2);
  assert.equal(l.findConflictByTerm(4, 2), 4);
});

test('log: up-to-date compares last term, then length (§5.4.1)', () => {
  const l = logWith(1, 2, 2);
  assert.equal(l.isUpToDate(3, 2), true);
  assert.equal(l.isUpToDate(2, 2), false);
  assert.equal(l.isUpToDate(1, 3), true);
  assert.equal(l.isUpToDate(9, 1), false);
});

test('log: commit by counting only for entries of the current term (§5.4.2)', () => {
  const l = logWith(1, 2, 3);
  assert.equal(l.maybeCommit(2, 3), false, 'entry 2 is from term 2');
  assert.equal(l.committed, 0);
  assert.equal(l.maybeCommit(3, 3), true);
  assert.equal(l.committed, 3, 'committing 3 commits everything before it');
});
