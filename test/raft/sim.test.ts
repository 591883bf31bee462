import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayCommand, runSeed, type SimResult } from './sim/simulation.js';

// The CI budget: 1000 seeds of 300 steps each, cluster sizes 1, 3 and 5 by seed.
const SEEDS = 1000;
const STEPS = 300;

test(`simulation: ${SEEDS} seeds x ${STEPS} steps keep Raft safe and live`, () => {
  const failures: SimResult[] = [];
  let applied = 0;
  let leaders = 0;
  let crashes = 0;
  const started = performance.now();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSeed({ seed, steps: STEPS });
    applied += r.stats.applied;
    leaders += r.stats.leaders;
    crashes += r.stats.crashes;
    if (!r.ok) failures.push(r);
    if (failures.length >= 3) break;
  }
  const secs = (performance.now() - started) / 1000;
  assert.deepEqual(
    failures.map((f) => `${f.error} -- replay: ${replayCommand(f)}`),
    [],
  );
  // The runs must actually exercise the cluster, not idle.
  assert.ok(applied > SEEDS * 20, `only ${applied} entries applied`);
  assert.ok(leaders > SEEDS, `only ${leaders} leader terms`);
  assert.ok(crashes > SEEDS, `only ${crashes} crashes`);
  assert.ok(secs < 60, `simulation took ${secs.toFixed(1)} s`);
});

test('simulation: a seed replays identically', () => {
  const a = runSeed({ seed: 4242, steps: 200, members: 5 });
  const b = runSeed({ seed: 4242, steps: 200, members: 5 });
  assert.equal(a.ok, true, a.error);
  assert.deepEqual(a, b);
});
