// Metrics: the member's own /metrics sampled every two seconds from the moment
// the page opens, the last ten minutes kept in the page, and charted: requests
// per second by method, p50/p99 request latency, WAL fsync and backend commit
// latency, database size, watchers, leader changes. No Prometheus needed.
import { h, fill, errorBox, formatBytes, formatSeconds } from '../lib/dom.js';
import { getText, gw } from '../lib/api.js';
import { parseMetrics, quantileBetween, ratesBy, sum } from '../lib/prom.js';
import { formatCount, lineChart } from '../lib/chart.js';

const INTERVAL_MS = 2000;
const WINDOW_MS = 10 * 60 * 1000;

/** @type {Array<{ t: number, samples: import('../lib/prom.js').Sample[] }>} */
let history = [];
let source = '';
let timer;
let lastError;
const listeners = new Set();

/** The most recent scrape of this member, if any. */
export function latestSamples() {
  return history.length ? history[history.length - 1].samples : undefined;
}

async function sample() {
  try {
    const { status, text } = await getText(`${source}/metrics`, 1500);
    if (status !== 200) throw new Error(`/metrics answered ${status}`);
    const t = Date.now();
    history.push({ t, samples: parseMetrics(text) });
    while (history.length && history[0].t < t - WINDOW_MS - INTERVAL_MS) history.shift();
    lastError = undefined;
  } catch (err) {
    lastError = err;
  }
  for (const fn of listeners) fn();
}

export function startSampling() {
  if (timer) return;
  void sample();
  timer = setInterval(sample, INTERVAL_MS);
}

/** Samples another member's /metrics from now on (an empty base is this member). @param {string} base */
function switchSource(base) {
  source = base;
  history = [];
  void sample();
}

/** One point per interval: f(previous scrape, this scrape, seconds between). */
function series(f) {
  const pts = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1];
    const b = history[i];
    pts.push([b.t, f(a.samples, b.samples, (b.t - a.t) / 1000)]);
  }
  return pts;
}

/** @returns {Array<[number, number]>} */
const gauge = (name, match) => history.map((x) => [x.t, sum(x.samples, name, match)]);
const rate = (n) => `${formatCount(n)}/s`;

function charts() {
  // The x axis spans the samples taken so far (at least a minute), up to the window.
  const span = history.length ? Date.now() - history[0].t : 0;
  const windowMs = Math.min(WINDOW_MS, Math.max(60_000, span));
  const methods = new Map();
  for (let i = 1; i < history.length; i++) {
    const rates = ratesBy(history[i - 1].samples, history[i].samples, (history[i].t - history[i - 1].t) / 1000, 'grpc_server_handled_total', 'grpc_method');
    for (const [m, v] of rates) {
      if (!methods.has(m)) methods.set(m, []);
      methods.get(m).push([history[i].t, v]);
    }
  }
  const busiest = [...methods].sort((x, y) => y[1].reduce((s, p) => s + p[1], 0) - x[1].reduce((s, p) => s + p[1], 0)).slice(0, 6);
  const q = (name, quant, match) => series((a, b) => quantileBetween(a, b, name, quant, match));
  const unary = { grpc_type: 'unary' };
  return [
    lineChart({ title: 'Requests per second by method', format: rate, windowMs, series: busiest.map(([name, points]) => ({ name, points })) }),
    lineChart({ title: 'Request latency (unary)', format: formatSeconds, windowMs, series: [{ name: 'p50', points: q('grpc_server_handling_seconds', 0.5, unary) }, { name: 'p99', points: q('grpc_server_handling_seconds', 0.99, unary) }] }),
    lineChart({ title: 'WAL fsync', format: formatSeconds, windowMs, series: [{ name: 'p50', points: q('etcd_disk_wal_fsync_duration_seconds', 0.5) }, { name: 'p99', points: q('etcd_disk_wal_fsync_duration_seconds', 0.99) }] }),
    lineChart({ title: 'Backend commit', format: formatSeconds, windowMs, series: [{ name: 'p50', points: q('etcd_disk_backend_commit_duration_seconds', 0.5) }, { name: 'p99', points: q('etcd_disk_backend_commit_duration_seconds', 0.99) }] }),
    lineChart({ title: 'Database size', format: formatBytes, windowMs, series: [{ name: 'total', points: gauge('etcd_mvcc_db_total_size_in_bytes') }, { name: 'in use', points: gauge('etcd_mvcc_db_total_size_in_use_in_bytes') }] }),
    lineChart({ title: 'Watchers', format: formatCount, windowMs, series: [{ name: 'watchers', points: gauge('etcd_debugging_mvcc_watcher_total') }, { name: 'streams', points: gauge('etcd_debugging_mvcc_watch_stream_total') }] }),
    lineChart({ title: 'Leader changes seen', format: formatCount, windowMs, series: [{ name: 'leader changes', points: gauge('etcd_server_leader_changes_seen_total') }, { name: 'has leader', points: gauge('etcd_server_has_leader') }] }),
  ];
}

/** @param {HTMLElement} root */
export function mount(root) {
  const select = h('select', { name: 'metrics-member', onchange: () => switchSource(select.value) }, h('option', { value: '' }, 'this member'));
  const grid = h('div.charts');
  const note = h('div.muted');
  fill(root, h('h2', null, 'Metrics'), h('div.bar', null, h('label', null, 'Member ', select), note), grid);
  gw('/v3/cluster/member/list', {}).then((r) => {
    for (const m of r.members ?? []) if (m.clientURLs?.[0]) select.append(h('option', { value: m.clientURLs[0] }, m.name || m.clientURLs[0]));
    select.value = source;
  }, () => {});
  const draw = () => {
    fill(note, lastError ? errorBox(lastError) : `${history.length} samples, every ${INTERVAL_MS / 1000} s, last ${WINDOW_MS / 60000} minutes kept in this page.`);
    fill(grid, ...charts());
  };
  draw();
  listeners.add(draw);
  return () => listeners.delete(draw);
}
