// The hot-path metric families print exactly what prom-client's own counters, gauges
// and histograms print for the same updates, so /metrics keeps etcd's text format.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import client from 'prom-client';
import { HotCounter, HotGauge, HotHistogram } from '../../src/metrics/hot.js';

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['grpc_type', 'grpc_service', 'grpc_method'];

test('a hot histogram prints as prom-client\'s, bucket edges inclusive, per label set', async () => {
  const ours = new client.Registry();
  const theirs = new client.Registry();
  const h = new HotHistogram('h_seconds', 'help text', ours, LABELS, BOUNDS);
  const ref = new client.Histogram({ name: 'h_seconds', help: 'help text', labelNames: LABELS, buckets: BOUNDS, registers: [theirs] });
  const values = [0, 0.005, 0.0051, 0.01, 0.3, 1, 7, 10, 11, 1e9];
  for (const [i, v] of values.entries()) {
    const method = i % 2 === 0 ? 'Put' : 'Range';
    h.labels('unary', 'etcdserverpb.KV', method).observe(v);
    ref.labels('unary', 'etcdserverpb.KV', method).observe(v);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('hot counters (with and without labels) and gauges print as prom-client\'s', async () => {
  const ours = new client.Registry();
  const theirs = new client.Registry();
  const c = new HotCounter('c_total', 'counted', ours, ['grpc_method', 'grpc_code']);
  const cRef = new client.Counter({ name: 'c_total', help: 'counted', labelNames: ['grpc_method', 'grpc_code'], registers: [theirs] });
  const plain = new HotCounter('p_total', 'plain', ours);
  const plainRef = new client.Counter({ name: 'p_total', help: 'plain', registers: [theirs] });
  const g = new HotGauge('g', 'gauged', ours);
  const gRef = new client.Gauge({ name: 'g', help: 'gauged', registers: [theirs] });
  const ok = c.labels('Put', 'OK');
  for (let i = 0; i < 5; i++) {
    ok.inc();
    cRef.labels('Put', 'OK').inc();
  }
  c.labels('Put', 'Unavailable').inc(2);
  cRef.labels('Put', 'Unavailable').inc(2);
  plain.inc();
  plain.inc(3);
  plainRef.inc();
  plainRef.inc(3);
  g.inc();
  g.inc();
  g.dec();
  g.set(g.value + 40);
  gRef.inc();
  gRef.inc();
  gRef.dec();
  gRef.set(41);
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.throws(() => plain.inc(-1), /only goes up/);
  assert.throws(() => c.labels('Put'), /2 label values expected/);
  assert.throws(() => c.inc(), /needs a label set/);
});
