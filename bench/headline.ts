// The headline comparison, measured the way etcd's maintainers measure: etcd's own
// load generator (tools/benchmark, a Go client that leaves the CPU to the server)
// against a fresh real etcd and a fresh etcd-ts, back to back, through the steering
// repository's scripts (../shared/perf: side-by-side.sh, cluster-side-by-side.sh).
// Without them, `npm run bench -- kv` is the Node load generator's comparison, which
// shares the server's cores and says so.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the perf scripts are: ETCD_PERF_DIR, or ../shared/perf beside the checkout. */
export function perfDir(): string | undefined {
  for (const d of [process.env.ETCD_PERF_DIR, join(repo, '..', 'shared', 'perf')]) {
    if (d && existsSync(join(d, 'side-by-side.sh')) && existsSync(join(d, 'bench.sh'))) return d;
  }
  return undefined;
}

/**
 * Runs side-by-side.sh (one member each) or, with `cluster`, cluster-side-by-side.sh
 * (three each), with etcd-ts as the candidate. Their knobs (ROUNDS, REPS, SCALE,
 * ONLY, SKIP) pass through the environment.
 */
export async function benchHeadline(args: string[]): Promise<void> {
  const dir = perfDir();
  if (!dir) {
    throw new Error('the perf scripts (side-by-side.sh, bench.sh with etcd-benchmark) were not found: set ETCD_PERF_DIR, or run `npm run bench -- kv` for the Node load generator');
  }
  const cluster = args[0] === 'cluster';
  const script = join(dir, cluster ? 'cluster-side-by-side.sh' : 'side-by-side.sh');
  const candidate = `${process.execPath} ${join(repo, 'bin', 'etcd-ts.js')}`;
  const out = cluster ? args[1] : args[0];
  console.log(`# ${script} — candidate: ${candidate}`);
  await new Promise<void>((ok, fail) => {
    const child = spawn('bash', [script, candidate, ...(out ? [out] : [])], { stdio: 'inherit', env: process.env });
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`${script} exited with code ${code}`))));
  });
}
