// check perf: etcdctl's 60-second write load at a fixed rate, judged on throughput,
// slowest request and standard deviation; check datascale lives in datascale.ts.
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';
import { checkDatascale, cleanUp, LOAD_MODELS, varintKey } from './datascale.js';
import { ProgressBar } from '../progress.js';

const PERF = {
  s: { limit: 150, clients: 50, duration: 60 },
  m: { limit: 1000, clients: 200, duration: 60 },
  l: { limit: 8000, clients: 500, duration: 60 },
  xl: { limit: 15000, clients: 1000, duration: 60 },
} as const;

export async function check(c: Ctx): Promise<void> {
  const [sub] = c.args;
  if (sub === 'datascale') return checkDatascale(c);
  if (sub !== 'perf') throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl check"`);
  const model = LOAD_MODELS[c.str('load')];
  if (!model) throw new CliExit(ExitCode.BadFeature, `unknown load option ${c.str('load')}`);
  const cfg = PERF[model];
  const prefix = c.str('prefix') || '/etcdctl-check-perf/';
  const cli = await c.client();
  const existing = await cli.kv.get(prefix, { prefix: true, limit: 1, timeoutMs: cfg.duration * 1000 }).catch((e) => fail(e));
  if (existing.kvs.length > 0) throw new CliExit(ExitCode.InvalidInput, `prefix "${prefix}" has keys. Delete with etcdctl del --prefix ${prefix} first`);

  const value = Buffer.alloc(1024);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const start = Date.now();
  const end = start + cfg.duration * 1000;
  let inflight = 0;
  let sent = 0;
  // As etcdctl: the bar counts the seconds of the run, one a second, and finishes after the last.
  const bar = new ProgressBar(cfg.duration, c.io.out);
  bar.start();
  const barDone = new Promise<void>((resolve) => {
    let ticks = 0;
    const second = setInterval(() => {
      bar.increment();
      if (++ticks < cfg.duration) return;
      clearInterval(second);
      bar.finish();
      resolve();
    }, 1000);
  });
  await new Promise<void>((resolve) => {
    const pump = setInterval(() => {
      const now = Date.now();
      if (now >= end) {
        clearInterval(pump);
        const wait = setInterval(() => inflight === 0 && (clearInterval(wait), resolve()), 10);
        return;
      }
      // Keep to the rate limit: requests due by now, never more than `clients` in flight.
      const due = Math.floor(((now - start) / 1000) * cfg.limit) + 1;
      while (sent < due && inflight < cfg.clients) {
        sent++;
        inflight++;
        const t0 = performance.now();
        cli.kv.put(varintKey(prefix, 256), value).then(
          () => latencies.push((performance.now() - t0) / 1000),
          (err) => {
            const key = err instanceof Error ? err.message : String(err);
            errors.set(key, (errors.get(key) ?? 0) + 1);
          },
        ).finally(() => inflight--);
      }
    }, 5);
  });
  const total = (Date.now() - start) / 1000;
  await barDone;
  const del = await cli.kv.delete(prefix, { prefix: true, timeoutMs: 30_000 }).catch((e) => fail(e));
  await cleanUp(c, cli, del.header!.revision);

  const rps = (latencies.length + [...errors.values()].reduce((a, b) => a + b, 0)) / total;
  const slowest = latencies.length ? Math.max(...latencies) : 0;
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  const stddev = Math.sqrt(latencies.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, latencies.length));
  let ok = true;
  if (errors.size > 0) {
    c.io.out('FAIL: too many errors\n');
    for (const [k, v] of errors) c.io.out(`FAIL: ERROR(${k}) -> ${v}\n`);
    ok = false;
  }
  if (rps / cfg.limit <= 0.9) {
    c.io.out(`FAIL: Throughput too low: ${Math.floor(rps) + 1} writes/s\n`);
    ok = false;
  } else c.io.out(`PASS: Throughput is ${Math.floor(rps) + 1} writes/s\n`);
  if (slowest > 0.5) {
    c.io.out(`Slowest request took too long: ${slowest.toFixed(6)}s\n`);
    ok = false;
  } else c.io.out(`PASS: Slowest request took ${slowest.toFixed(6)}s\n`);
  if (stddev > 0.1) {
    c.io.out(`Stddev too high: ${stddev.toFixed(6)}s\n`);
    ok = false;
  } else c.io.out(`PASS: Stddev is ${stddev.toFixed(6)}s\n`);
  if (ok) c.io.out('PASS\n');
  else {
    c.io.out('FAIL\n');
    throw new CliExit(ExitCode.Error, '');
  }
}
