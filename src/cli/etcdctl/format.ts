// Go's fmt conventions etcdctl's output relies on: %x / %016x IDs, %q strings,
// humanize.Bytes sizes, time.Duration strings, tablewriter tables.

export const hexId = (id: bigint) => BigInt.asUintN(64, id).toString(16);
export const hex16 = (id: bigint) => hexId(id).padStart(16, '0');
export const hexPad16 = (id: bigint) => hexId(id).padStart(16, ' ');

/** Go's %q for valid UTF-8 text (etcdctl quotes keys and values with it). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (ch === '\ufffd') out += '\\ufffd';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

export { goFixed, humanBytes } from '../../pkg/humanize.js';

function trimDecimals(v: number, digits: number): string {
  return v.toFixed(digits).replace(/\.?0+$/, '');
}

/** Go's time.Duration.String() for a duration in nanoseconds. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${trimDecimals(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${trimDecimals(ns / 1e6, 6)}ms`;
  const s = ns / 1e9;
  if (s < 60) return `${trimDecimals(s, 9)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${trimDecimals(s - m * 60, 9)}s`;
}

/** olekukonko/tablewriter with etcdctl's settings: upper-case centred header, right-aligned cells. */
export function table(header: string[], rows: string[][]): string {
  const title = header.map((h) => h.replace(/[_.]/g, ' ').trim().toUpperCase());
  const width = title.map((t, i) => Math.max([...t].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = '+' + width.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  const centre = (t: string, w: number) => {
    const gap = w - [...t].length;
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + t + ' '.repeat(gap - left);
  };
  let out = line + '|' + title.map((t, i) => ` ${centre(t, width[i]!)} `).join('|') + '|\n' + line;
  for (const r of rows) out += '|' + width.map((w, i) => ` ${(r[i] ?? '').padStart(w + (r[i] ?? '').length - [...(r[i] ?? '')].length)} `).join('|') + '|\n';
  out += line;
  return out;
}
