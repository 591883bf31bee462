// --auto-compaction-retention as etcd 3.4 reads it: a non-negative integer means hours
// (periodic) or revisions (revision); anything else must be a Go duration, which in
// revision mode counts nanoseconds as revisions (etcd's own quirk, kept).
import type { EtcdConfig } from './types.js';

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const MAX_INT64 = 9223372036854775807;

/** Go's time package quoting: printable ASCII kept, other bytes as \xNN. */
function timeQuote(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b >= 0x80 || b < 0x20) out += '\\x' + b.toString(16).padStart(2, '0');
    else {
      const c = String.fromCharCode(b);
      out += c === '"' || c === '\\' ? '\\' + c : c;
    }
  }
  return out + '"';
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Go's time.ParseDuration: nanoseconds, or Go's error text. */
export function parseGoDurationNs(orig: string): { ns: number } | { error: string } {
  const invalid = { error: `time: invalid duration ${timeQuote(orig)}` };
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0 };
  if (s === '') return invalid;
  let total = 0;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return invalid;
    let i = 0;
    while (isDigit(s[i])) i++;
    const whole = s.slice(0, i);
    s = s.slice(i);
    let frac = '';
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      while (isDigit(s[j])) j++;
      frac = s.slice(0, j);
      s = s.slice(j);
      if (whole === '' && frac === '') return invalid;
    }
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    if (u === 0) return { error: `time: missing unit in duration ${timeQuote(orig)}` };
    const unit = s.slice(0, u);
    s = s.slice(u);
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) return { error: `time: unknown unit ${timeQuote(unit)} in duration ${timeQuote(orig)}` };
    const v = Number(whole || '0') * scale + (frac === '' ? 0 : Number(`0.${frac}`) * scale);
    total += v;
    if (total > MAX_INT64) return invalid;
  }
  return { ns: neg ? -Math.trunc(total) : Math.trunc(total) };
}

/** Go's strconv.Atoi on a 64-bit platform. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Math.abs(n) > MAX_INT64 ? undefined : n;
}

/**
 * etcd's parseCompactionRetention: milliseconds for 'periodic', a revision count for
 * 'revision' (0: auto-compaction off), or etcd's fatal error text.
 */
export function parseCompactionRetention(mode: EtcdConfig['autoCompactionMode'], retention: string): { retention: number } | { error: string } {
  const text = retention === '' ? '0' : retention;
  const h = atoi(text);
  if (h !== undefined && h >= 0) return { retention: mode === 'revision' ? h : h * 3_600_000 };
  const d = parseGoDurationNs(text);
  if ('error' in d) return { error: `error parsing CompactionRetention: ${d.error}` };
  return { retention: mode === 'revision' ? d.ns : d.ns / 1e6 };
}
