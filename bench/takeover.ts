// How long the in-place switch of one member takes, by database size: the real etcd 3.4
// writes `keys` keys of `valueBytes` bytes and stops; etcd-ts takes the data dir over
// (checked whole, copied into its own files) and serves; `etcdutl-ts hand-back` writes
// etcd's files again; the real etcd restarts on them.
//   npm run bench -- takeover [keys=20000] [valueBytes=1024]
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../src/client/index.js';
import { handBack } from '../src/datadir/handback.js';
import { tmpDir } from '../test/helpers/tmp.js';
import { singleMember } from '../test/datadir/fixture.js';
import type { ClusterMember } from '../test/helpers/cluster.js';

const CONCURRENCY = 32;

function logTime(logs: string, msg: string): number {
  const line = logs.split('\n').find((l) => l.includes(`"msg":"${msg}`));
  if (!line) throw new Error(`no "${msg}" in the log`);
  return Date.parse((JSON.parse(line) as { ts: string }).ts);
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, Math.round(performance.now() - t)];
}

export async function benchTakeover(args: string[]): Promise<void> {
  const keys = Number(args[0] ?? 20_000);
  const valueBytes = Number(args[1] ?? 1024);
  const dir = tmpDir('bench-takeover');
  const running: ClusterMember[] = [];
  try {
    const one = await singleMember(dir.path, []);
    const up = async (m: ClusterMember) => {
      running.push(m);
      m.spawn();
      await m.ready(120_000);
      return m;
    };
    const etcd = await up(one.member('etcd'));
    const c = new Client({ endpoints: [etcd.endpoint] });
    const value = 'x'.repeat(valueBytes);
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < keys) await c.put(`bench/${String(next++).padStart(8, '0')}`, value);
    }));
    await c.close();
    await etcd.stop();
    const dbBytes = statSync(join(one.dataDir, 'member', 'snap', 'db')).size;

    const [ts, startMs] = await timed(() => up(one.member('etcd-ts')));
    const copyMs = logTime(ts.logs(), 'took over the etcd member') - logTime(ts.logs(), 'taking over an etcd member');
    await ts.stop();
    const [, handBackMs] = await timed(() => handBack({ dataDir: one.dataDir }));
    const [back, etcdStartMs] = await timed(() => up(one.member('etcd')));
    await back.stop();
    console.log(`takeover: ${keys} keys of ${valueBytes} B, etcd database ${(dbBytes / 2 ** 20).toFixed(1)} MiB`);
    console.log(`  etcd-ts start on the etcd data dir until ready: ${startMs} ms (checking and copying etcd's files: ${copyMs} ms)`);
    console.log(`  etcdutl-ts hand-back: ${handBackMs} ms`);
    console.log(`  etcd 3.4 start on the handed-back dir until ready: ${etcdStartMs} ms`);
  } finally {
    for (const m of running) await m.stop();
    dir.cleanup();
  }
}
