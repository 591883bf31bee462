// The campaign's final tables: histories, failures, requests, acknowledged writes and
// watch events per cluster size, per traffic profile and per fault, rolled up from the
// per-history cells, so a soak's note can give where its coverage went.
import type { HistoryResult } from './run.js';

export interface Tally {
  histories: number;
  failed: number;
  inconclusive: number;
  requests: number;
  checked: number;
  ackedWrites: number;
  linearized: number;
  unknown: number;
  resolvedApplied: number;
  resolvedDropped: number;
  watchEvents: number;
  watchStreams: number;
  untriggered: number;
}

export function newTally(): Tally {
  return { histories: 0, failed: 0, inconclusive: 0, requests: 0, checked: 0, ackedWrites: 0, linearized: 0, unknown: 0, resolvedApplied: 0, resolvedDropped: 0, watchEvents: 0, watchStreams: 0, untriggered: 0 };
}

/** Counts one history into `t`. */
export function addHistory(t: Tally, r: HistoryResult, failed: boolean): void {
  t.histories++;
  if (failed) t.failed++;
  if (r.outcome && !r.outcome.triggered) t.untriggered++;
  const v = r.verdict;
  if (!v) return;
  if (v.inconclusive) t.inconclusive++;
  t.requests += v.requests;
  t.checked += v.checked;
  t.ackedWrites += v.ackedWrites;
  t.linearized += v.linearized;
  t.unknown += v.unknown;
  t.resolvedApplied += v.resolved.applied;
  t.resolvedDropped += v.resolved.dropped;
  t.watchEvents += v.watchEvents;
  t.watchStreams += v.watchStreams;
}

/** Adds every count of `b` into `a`. */
export function mergeTally(a: Tally, b: Tally): Tally {
  for (const k of Object.keys(a) as Array<keyof Tally>) a[k] += b[k];
  return a;
}

/** One cluster size, profile and fault, and what its histories counted. */
export interface Cell {
  size: number;
  profile: string;
  fault: string;
  tally: Tally;
}

export type Dimension = 'size' | 'profile' | 'fault';

/** The cells summed by one dimension, rows in order of their key (sizes numerically). */
export function rollUp(cells: Iterable<Cell>, by: Dimension): Array<[string, Tally]> {
  const rows = new Map<string, Tally>();
  for (const c of cells) {
    const key = by === 'size' ? `${c.size} member${c.size === 1 ? '' : 's'}` : by === 'profile' ? c.profile : c.fault;
    if (!rows.has(key)) rows.set(key, newTally());
    mergeTally(rows.get(key)!, c.tally);
  }
  return [...rows].sort(([a], [b]) => (by === 'size' ? parseInt(a, 10) - parseInt(b, 10) : a < b ? -1 : a > b ? 1 : 0));
}

const COLUMNS: Array<[string, (t: Tally) => number]> = [
  ['histories', (t) => t.histories],
  ['failed', (t) => t.failed],
  ['requests', (t) => t.requests],
  ['acked writes', (t) => t.ackedWrites],
  ['watch events', (t) => t.watchEvents],
  ['not triggered', (t) => t.untriggered],
];

/** A text table of the rows, with a total line: columns right-aligned. */
export function formatTable(title: string, rows: Array<[string, Tally]>): string[] {
  const total = rows.reduce((acc, [, t]) => mergeTally(acc, t), newTally());
  const all: Array<[string, Tally]> = [...rows, ['total', total]];
  const head = [title, ...COLUMNS.map(([h]) => h)];
  const body = all.map(([k, t]) => [k, ...COLUMNS.map(([, f]) => String(f(t)))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)];
}

/** The three tables the campaign ends with. */
export function summaryTables(cells: Iterable<Cell>): string[] {
  const list = [...cells];
  return [...formatTable('members', rollUp(list, 'size')), '', ...formatTable('profile', rollUp(list, 'profile')), '', ...formatTable('fault', rollUp(list, 'fault'))];
}
