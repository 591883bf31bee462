// Coordination benchmarks, real etcd 3.4 and etcd-ts one after the other with the
// same etcd flags and the same lean gRPC client: watch event delivery, memory per
// idle watcher, and lock acquire/release under contention.
//   BENCH_SCALE=0.1   quicker run (puts, idle watchers, lock time)
//   BENCH_ONLY=etcd|etcd-ts
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { tmpDir } from '../test/helpers/tmp.js';
import { measureTable, type CoordMeasure } from './coord-table.js';
import { measureDelivery, measureIdleWatchers, type DeliveryCase, type DeliveryResult, type IdleWatcherResult } from './coord-watch.js';
import { measureLock, type LockResult } from './coord-lock.js';
import { killAllServers, startServer, type ServerKind } from './server.js';

const READY_TIMEOUT_MS = 60_000;
const SETTLE_MS = 1_000;
const LOCK_CLIENTS = 8;
const IDLE_STREAMS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CoordResult {
  kind: ServerKind;
  delivery: DeliveryResult[];
  idle: IdleWatcherResult;
  lock: LockResult;
}

/** The two watch layouts: the same 1,000 watchers and fan-out (10 per put), on one stream or spread over 100. */
export function deliveryCases(scale: number): DeliveryCase[] {
  const puts = Math.max(100, Math.round(5_000 * scale));
  const timeCapMs = Math.max(2_000, Math.round(20_000 * scale));
  return [
    { name: '1 stream x 1000 watchers', streams: 1, watchersPerStream: 1000, keys: 100, puts, writerConcurrency: 16, timeCapMs },
    { name: '100 streams x 10 watchers', streams: 100, watchersPerStream: 10, keys: 100, puts, writerConcurrency: 16, timeCapMs },
  ];
}

async function benchOne(kind: ServerKind, scale: number, dataRoot: string): Promise<CoordResult> {
  const member = await startServer(kind, 'bench', join(dataRoot, `${kind}.etcd`), READY_TIMEOUT_MS);
  try {
    const load0 = loadavg()[0];
    await sleep(SETTLE_MS);
    // Memory first, on a fresh server: later phases leave garbage a GC may or may not have reclaimed.
    const idleWatchers = Math.max(1_000, Math.round(10_000 * scale / IDLE_STREAMS) * IDLE_STREAMS);
    const idle = await measureIdleWatchers(member.endpoint, member.pid, idleWatchers, IDLE_STREAMS, SETTLE_MS);
    console.log(`${kind.padEnd(8)} idle watchers: ${idle.watchers}, rss ${(idle.rssBeforeBytes / 2 ** 20).toFixed(1)} → ${(idle.rssAfterBytes / 2 ** 20).toFixed(1)} MiB, ${idle.bytesPerWatcher.toFixed(0)} B/watcher`);
    const delivery: DeliveryResult[] = [];
    for (const c of deliveryCases(scale)) {
      const r = await measureDelivery(member.endpoint, member.pid, c);
      console.log(
        `${kind.padEnd(8)} watch ${r.name}: ${r.events}/${r.expectedEvents} events from ${r.puts} puts, ${r.eventsPerSec.toFixed(0)} events/s, ` +
          `p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms, server cpu ${r.serverCpuPerEventUs.toFixed(1)} µs/event, client cpu ${r.clientCpuPerEventUs.toFixed(1)} µs/event (${r.clientCpuPct.toFixed(0)}% of a core)${r.errors.length ? `  ERRORS ${r.errors.length} (${r.errors[0]})` : ''}`,
      );
      delivery.push(r);
    }
    const lock = await measureLock(member.endpoint, LOCK_CLIENTS, Math.max(1_000, Math.round(5_000 * scale)));
    console.log(
      `${kind.padEnd(8)} lock ${lock.clients} clients: ${lock.acquisitions} acquisitions, ${lock.acquisitionsPerSec.toFixed(0)}/s, ` +
        `acquire p50 ${lock.p50Ms.toFixed(2)} ms p99 ${lock.p99Ms.toFixed(2)} ms${lock.errors ? `  ERRORS ${lock.errors} (${lock.firstError})` : ''}`,
    );
    console.log(`${kind.padEnd(8)} machine load average ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`);
    return { kind, delivery, idle, lock };
  } catch (err) {
    process.stderr.write(`--- ${kind} server log (tail) ---\n${member.logs().slice(-4000)}\n`);
    throw err;
  } finally {
    await member.stop(10_000);
  }
}

/** One table per measure; a side that did not run shows '-'. */
export function coordTables(etcd: CoordResult | undefined, ts: CoordResult | undefined): string {
  const measures: CoordMeasure[] = [];
  const cases = (etcd ?? ts)!.delivery.map((d) => d.name);
  cases.forEach((name, i) => {
    const a = etcd?.delivery[i];
    const b = ts?.delivery[i];
    const notes = [a, b].flatMap((r, j) => (r && r.errors.length ? [`${j === 0 ? 'etcd' : 'etcd-ts'}: ${r.errors.length} error(s), first: ${r.errors[0]}`] : []));
    measures.push({
      title: `watch delivery, ${name} (fan-out ${a ? a.expectedEvents / Math.max(1, a.puts) : b ? b.expectedEvents / Math.max(1, b.puts) : '?'} per put)`,
      rows: [
        { metric: 'events/s', etcd: a?.eventsPerSec ?? NaN, ts: b?.eventsPerSec ?? NaN },
        { metric: 'put→event p50 ms', etcd: a?.p50Ms ?? NaN, ts: b?.p50Ms ?? NaN },
        { metric: 'put→event p99 ms', etcd: a?.p99Ms ?? NaN, ts: b?.p99Ms ?? NaN },
        { metric: 'server cpu µs/event', etcd: a?.serverCpuPerEventUs ?? NaN, ts: b?.serverCpuPerEventUs ?? NaN },
        // The client shares the machine: when it nears a core, it and not the server sets events/s.
        { metric: 'client cpu % of a core', etcd: a?.clientCpuPct ?? NaN, ts: b?.clientCpuPct ?? NaN },
      ],
      notes,
    });
  });
  measures.push({
    title: `memory per idle watcher (${(etcd ?? ts)!.idle.watchers} watchers over ${IDLE_STREAMS} streams)`,
    rows: [
      { metric: 'bytes/watcher (rss delta)', etcd: etcd?.idle.bytesPerWatcher ?? NaN, ts: ts?.idle.bytesPerWatcher ?? NaN },
      { metric: 'rss before MiB', etcd: (etcd?.idle.rssBeforeBytes ?? NaN) / 2 ** 20, ts: (ts?.idle.rssBeforeBytes ?? NaN) / 2 ** 20 },
    ],
  });
  measures.push({
    title: `lock acquire/release, ${LOCK_CLIENTS} clients on one name`,
    rows: [
      { metric: 'acquisitions/s', etcd: etcd?.lock.acquisitionsPerSec ?? NaN, ts: ts?.lock.acquisitionsPerSec ?? NaN },
      { metric: 'Lock call p50 ms', etcd: etcd?.lock.p50Ms ?? NaN, ts: ts?.lock.p50Ms ?? NaN },
      { metric: 'Lock call p99 ms', etcd: etcd?.lock.p99Ms ?? NaN, ts: ts?.lock.p99Ms ?? NaN },
    ],
    notes: [etcd, ts].flatMap((r) => (r && r.lock.errors ? [`${r.kind}: ${r.lock.errors} error(s), first: ${r.lock.firstError}`] : [])),
  });
  return measures.map(measureTable).join('\n\n');
}

export async function benchCoord(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'etcd' && only !== 'etcd-ts') throw new Error(`BENCH_ONLY must be etcd or etcd-ts, got ${only}`);
  const kinds: ServerKind[] = only ? [only] : ['etcd', 'etcd-ts'];
  const data = tmpDir('etcd-ts-bench-coord');
  process.once('exit', () => {
    killAllServers();
    data.cleanup();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench coord: ${sig}, stopping servers\n`);
      process.exit(130);
    });
  }
  console.log(`bench coord: scale ${scale}, servers ${kinds.join(', ')}, ${cpus().length} cpus, node ${process.version}`);
  const results = new Map<ServerKind, CoordResult>();
  try {
    for (const kind of kinds) results.set(kind, await benchOne(kind, scale, data.path));
  } finally {
    data.cleanup();
  }
  console.log(`\nratios are etcd-ts/etcd (events/s, acquisitions/s: higher is better; the rest: lower is better)\n`);
  console.log(coordTables(results.get('etcd'), results.get('etcd-ts')));
}
