// `npm run bench -- [name] [args…]`: the KV comparison by default, or another benchmark by name.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchKv } from './kv.js';
import { benchHeadline, perfDir } from './headline.js';

/** Modules owned by other benchmarks, loaded only when asked for (some run on import). */
async function load<T>(file: string, exportName: string): Promise<T> {
  const mod = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
  if (typeof mod[exportName] !== 'function') throw new Error(`bench/${file.replace(/\.js$/, '.ts')} does not export ${exportName}()`);
  return mod[exportName] as T;
}

/** A benchmark that is a script of its own (it forks itself): run it as a child with the remaining args. */
function script(file: string, args: string[]): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url)), ...args], { stdio: 'inherit' });
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('exit', killChild);
      if (code === 0) resolve();
      else reject(new Error(`${file} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  headline: (args) => benchHeadline(args),
  kv: async () => {
    console.log('# Node load generator (it shares the machine\'s cores with the servers; headline figures: npm run bench -- headline)');
    await benchKv();
  },
  raft: async () => {
    const benchRaft = await load<() => Promise<{ entriesPerSec: number }>>('./raft.js', 'benchRaft');
    console.log(`raft: ${(await benchRaft()).entriesPerSec} committed entries/s (3 members in memory)`);
  },
  grpc: (args) => script('./grpc-layer.js', args),
  hpack: (args) => script('./hpack.js', args),
  lease: async () => {
    const benchLease = await load<() => Promise<unknown>>('./lease.js', 'benchLease');
    console.log(JSON.stringify(await benchLease(), null, 2));
  },
  coord: async () => {
    const benchCoord = await load<() => Promise<void>>('./coord.js', 'benchCoord');
    await benchCoord();
  },
  cluster: async () => {
    const benchCluster = await load<() => Promise<void>>('./cluster.js', 'benchCluster');
    await benchCluster();
  },
  takeover: async (args) => {
    const benchTakeover = await load<(args: string[]) => Promise<void>>('./takeover.js', 'benchTakeover');
    await benchTakeover(args);
  },
  watch: async () => {
    const benchWatch = await load<() => unknown>('./watch.js', 'benchWatch');
    console.log(JSON.stringify(benchWatch(), null, 2));
  },
};

async function main(): Promise<void> {
  const [name = perfDir() ? 'headline' : 'kv', ...args] = process.argv.slice(2);
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; one of: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  await bench(args);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
