// A small SVG line chart: time on x, one or more series on y, a legend, the
// last value of each series beside its name.

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fdf', '#e0662a', '#2a9d55', '#a640b5', '#c9a400', '#17a2b8', '#d6336c', '#6c757d'];

function el(name, attrs) {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten at or above v: round axis steps. @param {number} v */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A count on an axis: whole numbers as such, fractions to one decimal. @param {number} v */
export const formatCount = (v) => (Number.isInteger(v) || Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1));

/**
 * @param {{ title: string, format: (v: number) => string, series: Array<{ name: string, points: Array<[number, number]> }>, windowMs: number }} spec
 * points are [time ms, value]; NaN values leave gaps.
 */
export function lineChart(spec) {
  const W = 460;
  const H = 170;
  const pad = { l: 58, r: 8, t: 8, b: 20 };
  const now = Date.now();
  const x0 = now - spec.windowMs;
  let max = 0;
  for (const s of spec.series) for (const [, v] of s.points) if (Number.isFinite(v)) max = Math.max(max, v);
  max = niceMax(max);
  const sx = (t) => pad.l + ((t - x0) / spec.windowMs) * (W - pad.l - pad.r);
  const sy = (v) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': spec.title });
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = sy(v);
    svg.append(el('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid' }));
    const label = el('text', { x: pad.l - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' });
    label.textContent = spec.format(v);
    svg.append(label);
  }
  for (const [i, minutes] of [[0, spec.windowMs / 60000], [1, 0]]) {
    const t = el('text', { x: i === 0 ? pad.l : W - pad.r, y: H - 4, class: 'axis', 'text-anchor': i === 0 ? 'start' : 'end' });
    t.textContent = minutes === 0 ? 'now' : `-${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`;
    svg.append(t);
  }
  spec.series.forEach((s, i) => {
    let d = '';
    let pen = false;
    for (const [t, v] of s.points) {
      if (t < x0 || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${sx(t).toFixed(1)},${sy(v).toFixed(1)}`;
      pen = true;
    }
    if (d) svg.append(el('path', { d, fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 1.8 }));
  });
  const legend = document.createElement('div');
  legend.className = 'legend';
  spec.series.forEach((s, i) => {
    const last = [...s.points].reverse().find(([, v]) => Number.isFinite(v));
    const item = document.createElement('span');
    const dot = document.createElement('i');
    dot.style.background = COLORS[i % COLORS.length];
    item.append(dot, `${s.name} ${last ? spec.format(last[1]) : '–'}`);
    legend.append(item);
  });
  const box = document.createElement('figure');
  box.className = 'chart-box';
  const cap = document.createElement('figcaption');
  cap.textContent = spec.title;
  box.append(cap, svg, legend);
  return box;
}
