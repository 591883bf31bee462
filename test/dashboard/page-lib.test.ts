// The page's own computations, run under Node: Prometheus text parsing, rates and
// quantiles as PromQL computes them, and the line diff.
import assert from 'node:assert/strict';
import { test } from 'node:test';

// The page's modules are plain JavaScript served as they are; imported here untyped.
const lib = (name: string) => import(new URL(`../../../src/dashboard/web/lib/${name}.js`, import.meta.url).href);

test('metrics text parses; rates and histogram quantiles between two scrapes', async () => {
  const prom = await lib('prom');
  const a = prom.parseMetrics([
    '# HELP x', 'grpc_server_handled_total{grpc_method="Range",grpc_code="OK"} 10', 'grpc_server_handled_total{grpc_method="Put",grpc_code="OK"} 4',
    'h_bucket{le="0.1"} 0', 'h_bucket{le="0.2"} 0', 'h_bucket{le="+Inf"} 0', 'g 7',
  ].join('\n'));
  const b = prom.parseMetrics([
    'grpc_server_handled_total{grpc_method="Range",grpc_code="OK"} 30', 'grpc_server_handled_total{grpc_method="Put",grpc_code="OK"} 4',
    'grpc_server_handled_total{grpc_method="Put",grpc_code="Unavailable"} 2',
    'h_bucket{le="0.1"} 50', 'h_bucket{le="0.2"} 100', 'h_bucket{le="+Inf"} 100', 'g 9',
  ].join('\n'));
  const rates = prom.ratesBy(a, b, 2, 'grpc_server_handled_total', 'grpc_method');
  assert.deepEqual(Object.fromEntries(rates), { Range: 10, Put: 1 });
  assert.equal(prom.sum(b, 'g'), 9);
  assert.ok(Number.isNaN(prom.sum(b, 'absent')));
  // 100 observations: 50 at or below 0.1, 50 in (0.1, 0.2].
  assert.equal(prom.quantileBetween(a, b, 'h', 0.5), 0.1);
  assert.ok(Math.abs(prom.quantileBetween(a, b, 'h', 0.99) - 0.198) < 1e-9);
  assert.ok(Number.isNaN(prom.quantileBetween(a, a, 'h', 0.5)), 'no observations, no quantile');
  assert.equal(prom.quantile([[1, 0], [Infinity, 5]], 0.5), 1, 'the +Inf bucket answers the highest finite bound');
});

test('line diff keeps common lines and puts removals before additions', async () => {
  const { lineDiff } = await lib('diff');
  const d = lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne');
  assert.deepEqual(d.map((x: { op: string; line: string }) => x.op + x.line), [' a', '-b', '+B', ' c', ' d', '+e']);
  assert.deepEqual(lineDiff('same', 'same').map((x: { op: string }) => x.op), [' ']);
});
