// `npm run chaos -- --minutes N`: random fault schedules against a proxied 3-member
// cluster, one recorded history per schedule, each verified once healed, until time
// runs out. Prints one line per history and a summary; a failed history is printed
// with its seed and schedule, replayable with `--seed S --histories 1`.
import { startProxiedCluster, type ProxiedCluster } from './proxied-cluster.js';
import { Workload } from './workload.js';
import { verify } from './verify.js';
import { randomSchedule, runSchedule, describeSchedule } from './schedule.js';

interface Args {
  minutes: number;
  seed: number;
  histories: number;
  steps: number;
  size: number;
  /** 1: reads are serializable (may be stale): a self-check that failures are reported. */
  serializable: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { minutes: 1, seed: Date.now() % 1_000_000, histories: Infinity, steps: 3, size: 3, serializable: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--?/, '');
    const raw = argv[++i];
    const v = Number(raw);
    if (raw === undefined || !Number.isFinite(v) || v < 0) throw new Error(`--${flag} needs a non-negative number`);
    switch (flag) {
      case 'minutes': a.minutes = v; break;
      case 'seed': a.seed = Math.floor(v); break;
      case 'histories': a.histories = Math.floor(v); break;
      case 'steps': a.steps = Math.max(1, Math.floor(v)); break;
      case 'size': a.size = Math.floor(v); break;
      case 'serializable': a.serializable = v > 0 ? 1 : 0; break;
      default: throw new Error(`unknown flag --${flag} (have --minutes, --seed, --histories, --steps, --size, --serializable)`);
    }
  }
  if (a.size < 3 || a.size > 5) throw new Error('--size must be 3..5');
  return a;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const until = Date.now() + args.minutes * 60_000;
  console.log(`chaos: ${args.size} members, ${args.steps} faults per history, seeds from ${args.seed}, for ${args.minutes} min`);
  let cluster: ProxiedCluster | undefined;
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
  });
  const failures: Array<{ seed: number; report: string }> = [];
  let checked = 0;
  let unknown = 0;
  let operations = 0;
  let acked = 0;
  try {
    for (let i = 0; i < args.histories && Date.now() < until && !stopping; i++) {
      cluster ??= await startProxiedCluster(args.size);
      const seed = args.seed + i;
      const steps = randomSchedule(seed, args.size, args.steps);
      const w = new Workload({
        endpoints: cluster.members.map((m) => m.endpoint),
        keys: [0, 1, 2].map((k) => `chaos/${seed}/k${k}`),
        clients: 2 * args.size,
        seed,
        serializableReads: args.serializable === 1,
      });
      const started = Date.now();
      w.start();
      let did: string[] = [];
      let problems: string[];
      let line: string;
      try {
        await sleep(300);
        did = await runSchedule(cluster, steps);
        await sleep(1000);
        const v = await verify(cluster.members, await w.stop());
        problems = v.problems;
        operations += v.operations;
        acked += v.ackedWrites;
        if (v.verdict === 'unknown') unknown++;
        line = `${v.operations} ops, ${v.ackedWrites} acked writes, ${v.verdict} in ${v.checkMs.toFixed(0)} ms, revision ${v.convergedRevision}`;
      } catch (err) {
        await w.stop();
        problems = [`verification failed: ${(err as Error).message}`];
        line = 'error';
        // A cluster that did not converge is not trusted for the next history.
        await cluster.close();
        cluster = undefined;
      }
      checked++;
      const ok = problems.length === 0;
      console.log(`history ${checked} seed=${seed} [${did.join(', ')}] ${((Date.now() - started) / 1000).toFixed(1)} s: ${line} ${ok ? 'OK' : 'FAILED'}`);
      if (!ok) {
        const report = `seed=${seed} schedule: ${describeSchedule(steps)}\n  ${problems.join('\n  ')}`;
        failures.push({ seed, report });
        console.log(`  ${report}`);
      }
    }
  } finally {
    await cluster?.close();
  }
  console.log(`chaos: ${checked} histories checked, ${operations} operations, ${acked} acknowledged writes, ${failures.length} failed, ${unknown} inconclusive`);
  for (const f of failures) console.log(`FAILED ${f.report}\n  reproduce: npm run chaos -- --seed ${f.seed} --histories 1 --steps ${args.steps} --size ${args.size}${args.serializable ? ' --serializable 1' : ''}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
