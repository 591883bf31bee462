import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicCompactor } from '../../src/server/compactor.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { FakeClock, recordingLogger, type LogLine } from './fake-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

interface Rig {
  clock: FakeClock;
  compactor: PeriodicCompactor;
  /** (time, revision) of every compaction attempt. */
  attempts: Array<{ at: number; rev: number }>;
  logs: LogLine[];
  /** Errors thrown by the next attempts, in order. */
  failures: unknown[];
}

// The store's revision goes up by one each time it is read, so the revision compacted
// tells which sample (0-based: revision − 1) the compactor picked.
function rig(retentionMs: number, intervalMs?: number): Rig {
  const clock = new FakeClock();
  const attempts: Rig['attempts'] = [];
  const logs: LogLine[] = [];
  const failures: unknown[] = [];
  let rev = 0;
  const compactor = new PeriodicCompactor(
    {
      logger: recordingLogger(logs),
      clock,
      rev: () => ++rev,
      compact: async (r) => {
        attempts.push({ at: clock.now(), rev: r });
        const err = failures.shift();
        if (err !== undefined) throw err;
      },
    },
    { retentionMs, intervalMs },
  );
  return { clock, compactor, attempts, logs, failures };
}

test('1h retention: samples every 6m, first compaction after 1h to the first sample, then hourly', async () => {
  const r = rig(HOUR);
  assert.equal(r.compactor.retryIntervalMs, 6 * MIN);
  assert.equal(r.compactor.retentions, 11);
  r.compactor.run();
  await r.clock.advance(59 * MIN);
  assert.deepEqual(r.attempts, []);
  await r.clock.advance(3 * HOUR + 5 * MIN);
  // At 2h and 3h the oldest of the 11 samples is the one taken 66 minutes earlier.
  assert.deepEqual(r.attempts, [
    { at: HOUR, rev: 1 },
    { at: 2 * HOUR, rev: 10 },
    { at: 3 * HOUR, rev: 20 },
    { at: 4 * HOUR, rev: 30 },
  ]);
  r.compactor.stop();
});

test('2h retention: interval capped at 6m, waits 2h, then compacts every hour', async () => {
  const r = rig(2 * HOUR);
  assert.equal(r.compactor.retryIntervalMs, 6 * MIN);
  assert.equal(r.compactor.compactIntervalMs, HOUR);
  assert.equal(r.compactor.retentions, 21);
  r.compactor.run();
  await r.clock.advance(2 * HOUR - 1);
  assert.deepEqual(r.attempts, []);
  await r.clock.advance(2 * HOUR + 1);
  assert.deepEqual(r.attempts, [
    { at: 2 * HOUR, rev: 1 },
    { at: 3 * HOUR, rev: 10 },
    { at: 4 * HOUR, rev: 20 },
  ]);
  assert.equal(r.compactor.window.length, 21);
  r.compactor.stop();
});

test('5m retention: samples every 30s and compacts every 5m', async () => {
  const r = rig(5 * MIN);
  assert.equal(r.compactor.retryIntervalMs, 30_000);
  r.compactor.run();
  await r.clock.advance(20 * MIN);
  assert.deepEqual(r.attempts, [
    { at: 5 * MIN, rev: 1 },
    { at: 10 * MIN, rev: 10 },
    { at: 15 * MIN, rev: 20 },
    { at: 20 * MIN, rev: 30 },
  ]);
  r.compactor.stop();
});

test('paused: keeps sampling without compacting; resumed, compacts to the sample one retention back', async () => {
  const r = rig(HOUR);
  r.compactor.run();
  r.compactor.pause();
  await r.clock.advance(33 * 6 * MIN);
  assert.deepEqual(r.attempts, []);
  assert.equal(r.compactor.window.length, 11);
  r.compactor.resume();
  await r.clock.advance(6 * MIN);
  // 34 samples so far (revisions 1…34); the window holds the last 11.
  assert.deepEqual(r.attempts, [{ at: 34 * 6 * MIN, rev: 24 }]);
  r.compactor.stop();
});

test('a failed compaction is retried one interval later; "already compacted" counts as done', async () => {
  const r = rig(HOUR);
  r.failures.push(Errors.Timeout);
  r.compactor.run();
  await r.clock.advance(HOUR + 6 * MIN);
  assert.deepEqual(r.attempts, [
    { at: HOUR, rev: 1 },
    { at: HOUR + 6 * MIN, rev: 1 },
  ]);
  const failed = r.logs.find((l) => l.msg === 'failed auto periodic compaction');
  assert.deepEqual(failed?.fields, { revision: 1, 'compact-period': '1h0m0s', 'retry-interval': '6m0s', error: Errors.Timeout.message });
  assert.equal(failed?.level, 'warn');

  r.failures.push(Errors.Compacted);
  await r.clock.advance(HOUR);
  assert.equal(r.attempts.length, 3);
  assert.equal(r.attempts[2]!.at, 2 * HOUR + 6 * MIN);
  // Counted as a success: the next try is a whole hour later, not one interval.
  await r.clock.advance(54 * MIN);
  assert.equal(r.attempts.length, 3);
  await r.clock.advance(6 * MIN);
  assert.equal(r.attempts.length, 4);
  const completed = r.logs.filter((l) => l.msg === 'completed auto periodic compaction');
  assert.equal(completed.length, 3);
  r.compactor.stop();
});

test('logs etcd\'s zap messages and fields', async () => {
  const r = rig(HOUR);
  r.compactor.run();
  await r.clock.advance(HOUR);
  const msgs = r.logs.map((l) => [l.level, l.msg, l.fields]);
  assert.deepEqual(msgs, [
    ['info', 'starting auto periodic compaction', { revision: 1, 'compact-period': '1h0m0s' }],
    ['info', 'completed auto periodic compaction', { revision: 1, 'compact-period': '1h0m0s', took: '1h0m0s' }],
  ]);
  r.compactor.stop();
});

test('stop cancels the pending wait; nothing happens afterwards', async () => {
  const r = rig(HOUR);
  r.compactor.run();
  await r.clock.advance(30 * MIN);
  assert.equal(r.clock.pending, 1);
  r.compactor.stop();
  assert.equal(r.clock.pending, 0);
  await r.clock.advance(3 * HOUR);
  assert.deepEqual(r.attempts, []);
});

test('an injected interval replaces retention/10 and sets the window size', async () => {
  const r = rig(1000, 100);
  assert.equal(r.compactor.retentions, 11);
  r.compactor.run();
  await r.clock.advance(2000);
  assert.deepEqual(r.attempts, [
    { at: 1000, rev: 1 },
    { at: 2000, rev: 10 },
  ]);
  r.compactor.stop();
});
