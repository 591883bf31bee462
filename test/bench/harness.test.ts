// The benchmark's own arithmetic: latency percentiles, etcd's key encoding,
// /proc readings and the median of repeated runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../bench/stats.js';
import { keyBytes, kvWorkloads, loadWorkload } from '../../bench/workloads.js';
import { cpuMicros, rssBytes } from '../../bench/proc.js';
import { medianResult } from '../../bench/median.js';
import type { Measurement } from '../../bench/driver.js';
import type { ServerResult } from '../../bench/report.js';

test('summarize: mean and nearest-rank p50/p99 over the first n samples', () => {
  const samples = new Float64Array(200).fill(999); // the tail beyond n must be ignored
  for (let i = 0; i < 100; i++) samples[i] = 100 - i; // 100..1, unsorted
  const s = summarize(samples, 100);
  assert.equal(s.meanMs, 50.5);
  assert.equal(s.p50Ms, 50);
  assert.equal(s.p99Ms, 99);
  assert.ok(Number.isNaN(summarize(new Float64Array(4), 0).meanMs));
});

test('keyBytes: zig-zag varint in 8 bytes, as Go binary.PutVarint', () => {
  assert.deepEqual([...keyBytes(0)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...keyBytes(1)], [2, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...keyBytes(-1)], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...keyBytes(64)], [0x80, 0x01, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...keyBytes(99_999)], [0xbe, 0x9a, 0x0c, 0, 0, 0, 0, 0]);
  const seen = new Set<string>();
  for (let i = 0; i < 100_000; i += 7) seen.add(Buffer.from(keyBytes(i)).toString('hex'));
  assert.equal(seen.size, Math.ceil(100_000 / 7));
});

test('workloads: three concurrency levels per op, caps scale, ranges read a loaded key', () => {
  const full = kvWorkloads(1);
  assert.deepEqual(full.map((w) => w.name), ['put c=1', 'put c=16', 'put c=256', 'range-l c=1', 'range-l c=16', 'range-l c=256', 'range-s c=1', 'range-s c=16', 'range-s c=256']);
  assert.deepEqual(full.slice(0, 3).map((w) => [w.clients, w.connections]), [[1, 1], [16, 4], [256, 16]]);
  const quick = kvWorkloads(0.1);
  for (let i = 0; i < full.length; i++) {
    assert.ok(quick[i].total < full[i].total && quick[i].timeCapMs < full[i].timeCapMs);
    assert.ok(full[i].rangeKey < loadWorkload(0.1).total);
  }
  assert.equal(loadWorkload(1).total, 100_000);
  assert.ok(loadWorkload(1).sequential);
});

test('proc: CPU time of this process grows with work; RSS is plausible', () => {
  const before = cpuMicros(process.pid);
  const until = Date.now() + 60;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  assert.ok(cpuMicros(process.pid) - before >= 10_000, 'a 60 ms busy loop shows at least one 10 ms tick');
  const rss = rssBytes(process.pid);
  assert.ok(rss > 10 * 1024 * 1024 && rss < 4 * 1024 * 1024 * 1024, `rss ${rss}`);
});

function measurement(workload: string, reqPerSec: number): Measurement {
  return {
    workload, reqPerSec, requests: 1, errors: 0, elapsedMs: 1, meanMs: 1, p50Ms: 1, p99Ms: 1,
    loadgenCpuMicros: 1, serverCpuMicros: reqPerSec, serverCpuPerReqUs: reqPerSec, loadgenCpuPerReqUs: 1,
  };
}

function run(rates: number[], rss: number): ServerResult {
  return {
    server: 'etcd', command: 'x', idleCpuPct: 0, rssIdleBytes: rss, rssAfterLoadBytes: rss, loadAvg: [rss, rss],
    load: measurement('load', rss), workloads: rates.map((r, i) => measurement(`w${i}`, r)),
  };
}

test('medianResult: per workload the run with the median throughput, whole', () => {
  const m = medianResult([run([10, 300], 5), run([30, 100], 1), run([20, 200], 3)]);
  assert.deepEqual(m.workloads.map((w) => [w.reqPerSec, w.serverCpuPerReqUs]), [[20, 20], [200, 200]]);
  assert.equal(m.rssAfterLoadBytes, 3);
  assert.deepEqual(m.loadAvg, [1, 5]);
  assert.throws(() => medianResult([run([1], 1), { ...run([1], 1), workloads: [measurement('other', 1)] }]));
});
