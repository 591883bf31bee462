// Long soak of the Raft simulation:
//   node dist/test/raft/sim-cli.js --seeds 100000 [--steps N] [--seed S] [--members N]
// --seed S runs S, S+1, ... (--seeds of them; 1 when --seed is given alone). A failing
// seed prints the one command that replays it exactly, and the process exits 1.

import { replayCommand, runSeed } from './sim/simulation.js';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer`);
  return v;
}

const first = arg('seed') ?? 1;
const seeds = arg('seeds') ?? (arg('seed') !== undefined ? 1 : 1000);
const steps = arg('steps') ?? 300;
const members = arg('members');
if (members !== undefined && ![1, 3, 5].includes(members)) throw new Error('--members must be 1, 3 or 5');

const started = performance.now();
let applied = 0;
for (let s = first; s < first + seeds; s++) {
  const r = runSeed({ seed: s, steps, ...(members !== undefined ? { members } : {}) });
  applied += r.stats.applied;
  if (seeds === 1) console.log(JSON.stringify(r));
  if (!r.ok) {
    console.error(`seed ${s} FAILED at step ${r.failedAtStep}: ${r.error}`);
    console.error(`replay: ${replayCommand(r)}`);
    process.exit(1);
  }
  if ((s - first + 1) % 1000 === 0) {
    const secs = (performance.now() - started) / 1000;
    console.log(`${s - first + 1} seeds ok (${secs.toFixed(1)} s, ${applied} entries applied)`);
  }
}
const secs = (performance.now() - started) / 1000;
console.log(`all ${seeds} seeds passed: seeds ${first}..${first + seeds - 1}, ${steps} steps each, ${secs.toFixed(1)} s`);
