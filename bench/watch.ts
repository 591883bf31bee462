// Watch hub benchmark, in process (no transport): event delivery rate and
// put→event latency for 1 stream × 1,000 watchers and 100 streams × 10 watchers
// on one key each, and heap per idle watcher.
import { MemoryBackend } from '../src/backend/memory.js';
import { MvccStore } from '../src/mvcc/store.js';
import { WatchHub } from '../src/watch/index.js';

export interface WatchBenchCase {
  name: string;
  watchers: number;
  puts: number;
  eventsPerSec: number;
  latencyP50Us: number;
  latencyP99Us: number;
}

export interface WatchBenchResult {
  cases: WatchBenchCase[];
  bytesPerIdleWatcher: number;
}

function runCase(name: string, streams: number, perStream: number, puts: number): WatchBenchCase {
  const store = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(store);
  let delivered = 0;
  let sentAt = 0n;
  const lat: number[] = [];
  const keys = Array.from({ length: 100 }, (_, i) => Buffer.from(`bench/${i}`));
  for (let s = 0; s < streams; s++) {
    const st = hub.openStream((r) => {
      if (r.events.length > 0) {
        delivered += r.events.length;
        if (lat.length < 200_000) lat.push(Number(process.hrtime.bigint() - sentAt) / 1000);
      }
      return true;
    });
    // Watchers spread over 100 keys, so each put reaches 1% of them.
    for (let w = 0; w < perStream; w++) st.watch({ key: keys[(s * perStream + w) % keys.length] });
  }
  const value = Buffer.alloc(64, 1);
  const start = process.hrtime.bigint();
  for (let i = 0; i < puts; i++) {
    const t = store.write();
    sentAt = process.hrtime.bigint();
    t.put(keys[i % keys.length], value);
    t.end();
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  hub.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0);
  return { name, watchers: streams * perStream, puts, eventsPerSec: Math.round(delivered / secs), latencyP50Us: q(0.5), latencyP99Us: q(0.99) };
}

function idleWatcherBytes(n: number): number {
  const store = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(store);
  const st = hub.openStream(() => true);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) st.watch({ key: Buffer.from(`idle/${i}`) });
  globalThis.gc?.();
  const per = (process.memoryUsage().heapUsed - before) / n;
  hub.close();
  return Math.round(per);
}

export function benchWatch(puts = 20_000): WatchBenchResult {
  return {
    cases: [runCase('1 stream x 1000 watchers', 1, 1000, puts), runCase('100 streams x 10 watchers', 100, 10, puts)],
    bytesPerIdleWatcher: idleWatcherBytes(50_000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(benchWatch(), null, 2));
