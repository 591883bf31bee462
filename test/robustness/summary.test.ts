// The campaign's summary tables: each history counted once into its cell, and the
// cells summed per cluster size, profile and fault with a total that is the same in
// every table and equals the sum of the cells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addHistory, formatTable, newTally, rollUp, summaryTables, type Cell } from './summary.js';
import type { HistoryResult } from './run.js';

/** A history's result with just what the tally reads. */
function history(requests: number, ackedWrites: number, watchEvents: number, o: { triggered?: boolean; checked?: boolean } = {}): HistoryResult {
  return {
    outcome: { did: 'x', triggered: o.triggered ?? true },
    verdict:
      o.checked === false
        ? undefined
        : { problems: [], requests, answered: requests - 1, unknown: 1, checked: requests - 1, ackedWrites, linearized: requests, resolved: { applied: 1, dropped: 0 }, watchStreams: 2, watchEvents, finalRevision: 100, inconclusive: false },
  } as unknown as HistoryResult;
}

function cell(size: number, profile: string, fault: string, runs: Array<[HistoryResult, boolean]>): Cell {
  const tally = newTally();
  for (const [r, failed] of runs) addHistory(tally, r, failed);
  return { size, profile, fault, tally };
}

const CELLS: Cell[] = [
  cell(1, 'kubernetes', 'kill', [[history(100, 40, 70), false], [history(50, 20, 30), false]]),
  cell(3, 'kubernetes', 'blackhole', [[history(200, 80, 150), false]]),
  cell(3, 'leases', 'kill', [[history(30, 10, 5), true], [history(0, 0, 0, { checked: false }), true]]),
  cell(5, 'leases', 'beforeCommit', [[history(60, 25, 40, { triggered: false }), false]]),
];

test('a history counts into its cell: histories, failures, requests, writes, events, untriggered failpoints', () => {
  const [a, , c, d] = CELLS;
  assert.deepEqual([a!.tally.histories, a!.tally.failed, a!.tally.requests, a!.tally.ackedWrites, a!.tally.watchEvents, a!.tally.watchStreams], [2, 0, 150, 60, 100, 4]);
  // A history that could not be checked counts as a history and a failure, and adds nothing else.
  assert.deepEqual([c!.tally.histories, c!.tally.failed, c!.tally.requests, c!.tally.ackedWrites, c!.tally.watchEvents], [2, 2, 30, 10, 5]);
  assert.equal(d!.tally.untriggered, 1);
});

test('per size, profile and fault: each row the sum of its cells, the same total in every table', () => {
  const bySize = Object.fromEntries(rollUp(CELLS, 'size').map(([k, t]) => [k, [t.histories, t.failed, t.requests, t.ackedWrites, t.watchEvents]]));
  assert.deepEqual(bySize, { '1 member': [2, 0, 150, 60, 100], '3 members': [3, 2, 230, 90, 155], '5 members': [1, 0, 60, 25, 40] });
  const byProfile = Object.fromEntries(rollUp(CELLS, 'profile').map(([k, t]) => [k, [t.histories, t.failed, t.requests, t.ackedWrites, t.watchEvents]]));
  assert.deepEqual(byProfile, { kubernetes: [3, 0, 350, 140, 250], leases: [3, 2, 90, 35, 45] });
  const byFault = Object.fromEntries(rollUp(CELLS, 'fault').map(([k, t]) => [k, [t.histories, t.failed, t.requests, t.ackedWrites, t.watchEvents, t.untriggered]]));
  assert.deepEqual(byFault, { beforeCommit: [1, 0, 60, 25, 40, 1], blackhole: [1, 0, 200, 80, 150, 0], kill: [4, 2, 180, 70, 105, 0] });
  // Sizes sort numerically, not as text.
  assert.deepEqual(rollUp([...CELLS, cell(11, 'x', 'y', [])], 'size').map(([k]) => k), ['1 member', '3 members', '5 members', '11 members']);
  // The cells' own sum is every table's total line.
  const lines = summaryTables(CELLS);
  const totals = lines.filter((l) => l.startsWith('total'));
  assert.equal(totals.length, 3);
  for (const t of totals) assert.deepEqual(t.split(/\s+/).slice(1).map(Number), [6, 2, 440, 175, 295, 1]);
});

test('a table: a header, a row per key, the total; columns right-aligned under their names', () => {
  const lines = formatTable('fault', rollUp(CELLS, 'fault'));
  assert.equal(lines.length, 1 + 3 + 1);
  assert.match(lines[0]!, /^fault\s+histories\s+failed\s+requests\s+acked writes\s+watch events\s+not triggered$/);
  // Every number ends where its column's name ends.
  const ends = ['histories', 'failed', 'requests', 'acked writes', 'watch events', 'not triggered'].map((h) => lines[0]!.indexOf(h) + h.length);
  for (const l of lines.slice(1)) {
    const numberEnds = [...l.matchAll(/\d+/g)].map((m) => m.index! + m[0].length);
    assert.deepEqual(numberEnds, ends, l);
  }
});
