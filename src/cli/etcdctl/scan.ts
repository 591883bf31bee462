// Go's fmt.Sscanf for the one format etcdctl reads comparisons with, `%q) %s %q`:
// items are filled in order and scanning stops at the first that fails, leaving
// the rest empty, so error messages can show what was read as etcdctl's do.

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

export interface Scanned {
  /** How many of key, op and value were read. */
  n: number;
  key: string;
  op: string;
  value: string;
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };

/** strconv.Unquote of a double-quoted Go literal (quotes included); undefined if it is not one. */
export function goUnquote(lit: string): string | undefined {
  if (lit.length < 2 || !lit.startsWith('"') || !lit.endsWith('"')) return undefined;
  const body = lit.slice(1, -1);
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; ) {
    const ch = body[i]!;
    if (ch === '"' || ch === '\n') return undefined;
    if (ch !== '\\') {
      const cp = body.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      bytes.push(...enc.encode(s));
      i += s.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const v = parseInt(hex, 16);
      if (e === 'x') bytes.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return undefined;
        bytes.push(...enc.encode(String.fromCodePoint(v)));
      }
      i += 2 + len;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      bytes.push(parseInt(oct, 8));
      i += 4;
    } else return undefined;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** fmt's %q: a "quoted" or `raw` Go string after optional spaces. */
function scanQuoted(s: string, pos: number): { value: string; pos: number } | undefined {
  while (isSpace(s[pos])) pos++;
  const open = s[pos];
  if (open === '`') {
    const close = s.indexOf('`', pos + 1);
    return close < 0 ? undefined : { value: s.slice(pos + 1, close), pos: close + 1 };
  }
  if (open !== '"') return undefined;
  let i = pos + 1;
  for (; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
  if (i >= s.length) return undefined;
  const value = goUnquote(s.slice(pos, i + 1));
  return value === undefined ? undefined : { value, pos: i + 1 };
}

/** fmt.Sscanf(s, "%q) %s %q", &key, &op, &value). */
export function scanCompare(s: string): Scanned {
  const out: Scanned = { n: 0, key: '', op: '', value: '' };
  const key = scanQuoted(s, 0);
  if (!key) return out;
  out.key = key.value;
  out.n = 1;
  let pos = key.pos;
  if (s[pos] !== ')') return out;
  pos++;
  // A space in the format wants at least one in the input.
  if (!isSpace(s[pos])) return out;
  while (isSpace(s[pos])) pos++;
  const start = pos;
  while (pos < s.length && !isSpace(s[pos])) pos++;
  if (pos === start) return out;
  out.op = s.slice(start, pos);
  out.n = 2;
  const value = scanQuoted(s, pos);
  if (!value) return out;
  out.value = value.value;
  out.n = 3;
  return out;
}
