// Prometheus text exposition parsed into samples, and what the metrics view
// computes from two scrapes: rates of counters and quantiles of histograms over
// the interval between them, as PromQL's rate() and histogram_quantile() do.

/**
 * @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample
 */

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** @param {string} text @returns {Sample[]} */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/**
 * Sum of the samples of one name whose labels include `match`.
 * @param {Sample[]} samples @param {string} name @param {Record<string, string>} [match]
 */
export function sum(samples, name, match = {}) {
  let total = 0;
  let found = false;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    total += s.value;
    found = true;
  }
  return found ? total : NaN;
}

/**
 * Per-second rate of a counter between two scrapes, per value of one label.
 * @param {Sample[]} before @param {Sample[]} after @param {number} seconds @param {string} name @param {string} by
 * @param {Record<string, string>} [match]
 */
export function ratesBy(before, after, seconds, name, by, match = {}) {
  /** @type {Map<string, number>} */
  const out = new Map();
  const total = (samples) => {
    const m = new Map();
    for (const s of samples) {
      if (s.name !== name || Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
      const key = s.labels[by] ?? '';
      m.set(key, (m.get(key) ?? 0) + s.value);
    }
    return m;
  };
  const a = total(before);
  for (const [k, v] of total(after)) out.set(k, Math.max(0, v - (a.get(k) ?? 0)) / seconds);
  return out;
}

/**
 * The q-quantile of a histogram's observations between two scrapes (NaN when none),
 * interpolated linearly inside the bucket as histogram_quantile() does.
 * @param {Sample[]} before @param {Sample[]} after @param {string} name histogram name without _bucket
 * @param {number} q @param {Record<string, string>} [match]
 */
export function quantileBetween(before, after, name, q, match = {}) {
  const buckets = (samples) => {
    const m = new Map();
    for (const s of samples) {
      if (s.name !== `${name}_bucket` || Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      m.set(le, (m.get(le) ?? 0) + s.value);
    }
    return m;
  };
  const a = buckets(before);
  const delta = [...buckets(after)].map(([le, v]) => /** @type {[number, number]} */ ([le, v - (a.get(le) ?? 0)])).sort((x, y) => x[0] - y[0]);
  return quantile(delta, q);
}

/**
 * @param {Array<[number, number]>} cumulative sorted [upper bound, cumulative count]
 * @param {number} q
 */
export function quantile(cumulative, q) {
  if (cumulative.length === 0) return NaN;
  const total = cumulative[cumulative.length - 1][1];
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of cumulative) {
    if (count >= rank) {
      // The top bucket has no upper bound: answer the highest finite one.
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
