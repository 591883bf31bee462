// Console tables of the coordination benchmark: one table per measure, the
// two servers side by side with the etcd-ts/etcd ratio.

export interface CoordRow {
  /** What is measured, with its unit, e.g. 'events/s'. */
  metric: string;
  etcd: number;
  ts: number;
}

export interface CoordMeasure {
  title: string;
  rows: CoordRow[];
  /** Anything that makes the figures suspect (missing events, errors). */
  notes?: string[];
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** etcd-ts/etcd; '-' when either side is missing or etcd's figure is zero. */
export function ratio(ts: number, etcd: number): string {
  return Number.isFinite(ts) && Number.isFinite(etcd) && etcd !== 0 ? `${(ts / etcd).toFixed(2)}x` : '-';
}

export function alignTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function measureTable(m: CoordMeasure): string {
  const rows = m.rows.map((r) => [r.metric, formatNumber(r.etcd), formatNumber(r.ts), ratio(r.ts, r.etcd)]);
  const notes = (m.notes ?? []).map((n) => `\n! ${n}`).join('');
  return `${m.title}\n${alignTable(['', 'etcd', 'etcd-ts', 'ratio'], rows)}${notes}`;
}
