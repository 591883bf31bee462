import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDurationString, newCompactor, PeriodicCompactor, REVISION_INTERVAL_MS, RevisionCompactor } from '../../src/server/compactor.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { FakeClock, recordingLogger, type LogLine } from './fake-clock.js';

const MIN = 60_000;

function rig(retention: number, startRev: number) {
  const clock = new FakeClock();
  const attempts: Array<{ at: number; rev: number }> = [];
  const logs: LogLine[] = [];
  const failures: unknown[] = [];
  const store = { rev: startRev };
  const compactor = new RevisionCompactor(
    {
      logger: recordingLogger(logs),
      clock,
      rev: () => store.rev,
      compact: async (r) => {
        attempts.push({ at: clock.now(), rev: r });
        const err = failures.shift();
        if (err !== undefined) throw err;
      },
    },
    { retention },
  );
  return { clock, compactor, attempts, logs, failures, store };
}

test('every 5 minutes: compacts to revision − retention when that is positive and moved', async () => {
  const r = rig(10, 5);
  assert.equal(REVISION_INTERVAL_MS, 5 * MIN);
  r.compactor.run();
  await r.clock.advance(5 * MIN);
  assert.deepEqual(r.attempts, [], 'revision 5 − 10 ≤ 0');
  r.store.rev = 100;
  await r.clock.advance(5 * MIN);
  assert.deepEqual(r.attempts, [{ at: 10 * MIN, rev: 90 }]);
  await r.clock.advance(5 * MIN);
  assert.equal(r.attempts.length, 1, 'same target revision: skipped');
  r.store.rev = 200;
  await r.clock.advance(4 * MIN);
  assert.equal(r.attempts.length, 1, 'not before the interval');
  await r.clock.advance(MIN);
  assert.deepEqual(r.attempts[1], { at: 20 * MIN, rev: 190 });
  r.compactor.stop();
});

test('a future-revision error is logged and the same revision is tried at the next interval', async () => {
  const r = rig(10, 100);
  r.failures.push(Errors.FutureRev);
  r.compactor.run();
  await r.clock.advance(10 * MIN);
  assert.deepEqual(r.attempts, [
    { at: 5 * MIN, rev: 90 },
    { at: 10 * MIN, rev: 90 },
  ]);
  assert.deepEqual(
    r.logs.map((l) => [l.level, l.msg, l.fields]),
    [
      ['info', 'starting auto revision compaction', { revision: 90, 'revision-compaction-retention': 10 }],
      ['warn', 'failed auto revision compaction', { revision: 90, 'revision-compaction-retention': 10, 'retry-interval': '5m0s', error: Errors.FutureRev.message }],
      ['info', 'starting auto revision compaction', { revision: 90, 'revision-compaction-retention': 10 }],
      ['info', 'completed auto revision compaction', { revision: 90, 'revision-compaction-retention': 10, took: '0s' }],
    ],
  );
  r.compactor.stop();
});

test('"already compacted" counts as done: the revision is not tried again', async () => {
  const r = rig(10, 100);
  r.failures.push(Errors.Compacted);
  r.compactor.run();
  await r.clock.advance(15 * MIN);
  assert.deepEqual(r.attempts, [{ at: 5 * MIN, rev: 90 }]);
  r.compactor.stop();
});

test('paused for hours it never compacts; resumed, it compacts at the next interval', async () => {
  const r = rig(10, 100);
  r.compactor.run();
  r.compactor.pause();
  assert.equal(r.compactor.paused, true);
  await r.clock.advance(3 * 60 * MIN);
  assert.deepEqual(r.attempts, []);
  r.compactor.resume();
  await r.clock.advance(5 * MIN);
  assert.deepEqual(r.attempts, [{ at: 3 * 60 * MIN + 5 * MIN, rev: 90 }]);
  r.compactor.stop();
  assert.equal(r.clock.pending, 0);
});

test('newCompactor: retention 0 is off, negative is refused with a warning, each mode gets its compactor', () => {
  const logs: LogLine[] = [];
  const deps = { logger: recordingLogger(logs), clock: new FakeClock(), rev: () => 1, compact: async () => {} };
  assert.equal(newCompactor({ mode: 'periodic', retention: 0 }, deps), undefined);
  assert.equal(newCompactor({ mode: 'revision', retention: 0 }, deps), undefined);
  assert.equal(logs.length, 0);
  assert.equal(newCompactor({ mode: 'periodic', retention: -3_600_000 }, deps), undefined);
  assert.equal(logs[0]?.level, 'warn');
  assert.equal(logs[0]?.fields['auto-compaction-retention'], '-1h0m0s');
  const p = newCompactor({ mode: 'periodic', retention: 30 * MIN }, deps);
  assert.ok(p instanceof PeriodicCompactor);
  assert.equal(p.retryIntervalMs, 3 * MIN);
  const v = newCompactor({ mode: 'revision', retention: 1000, intervalMs: 50 }, deps);
  assert.ok(v instanceof RevisionCompactor);
  assert.equal(v.retention, 1000);
  assert.equal(v.intervalMs, 50);
});

test('durations print as Go prints them', () => {
  assert.equal(goDurationString(0), '0s');
  assert.equal(goDurationString(3_600_000), '1h0m0s');
  assert.equal(goDurationString(6 * MIN), '6m0s');
  assert.equal(goDurationString(90_000), '1m30s');
  assert.equal(goDurationString(1500), '1.5s');
  assert.equal(goDurationString(0.5), '500µs');
  assert.equal(goDurationString(1.25), '1.25ms');
  assert.equal(goDurationString(-2 * 3_600_000), '-2h0m0s');
});
