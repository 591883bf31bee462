// `npm run bench -- [name]`: the KV comparison by default, or another benchmark by name.
import { benchKv } from './kv.js';

type Bench = () => Promise<void>;

/** Benchmarks living in modules owned elsewhere, loaded only when asked for. */
async function fromModule(file: string, exportName: string): Promise<Bench> {
  const mod = (await import(new URL(file, import.meta.url).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new Error(`bench/${file.replace(/\.js$/, '.ts')} does not export ${exportName}()`);
  return fn as Bench;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  kv: async () => benchKv,
  raft: () => fromModule('./raft.js', 'benchRaft'),
  grpc: () => fromModule('./grpc-layer.js', 'benchGrpc'),
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'kv';
  const load = BENCHES[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; one of: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const bench = await load();
  await bench();
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
