// Value syntaxes of Go's flag/strconv/time/net/url packages, which etcd's flags use; operators'
// scripts rely on exactly what they accept and on the wording of their errors.

/** Go's %q: a double-quoted string with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0x80 && cp <= 0x9f) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return false;
  return undefined;
}

export type IntResult = { value: bigint } | { error: 'syntax' | 'range' };

/** Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, leading-0 octal, '_' separators). */
export function parseGoInteger(s: string, signed: boolean, bits: number): IntResult {
  let body = s;
  let negative = false;
  if (signed && (body.startsWith('+') || body.startsWith('-'))) {
    negative = body[0] === '-';
    body = body.slice(1);
  }
  if (body === '') return { error: 'syntax' };
  let base = 10;
  let digits = body;
  let prefixed = false;
  if (body[0] === '0' && body.length > 1) {
    const p = body[1].toLowerCase();
    if (p === 'x') [base, digits, prefixed] = [16, body.slice(2), true];
    else if (p === 'o') [base, digits, prefixed] = [8, body.slice(2), true];
    else if (p === 'b') [base, digits, prefixed] = [2, body.slice(2), true];
    else [base, digits] = [8, body.slice(1)];
  }
  if (!underscoresOk(prefixed ? '0x' + digits : body)) return { error: 'syntax' };
  digits = digits.replaceAll('_', '');
  if (digits === '') return { error: 'syntax' };
  let v = 0n;
  for (const c of digits.toLowerCase()) {
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return { error: 'syntax' };
    v = v * BigInt(base) + BigInt(d);
  }
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const value = negative ? -v : v;
  if (value > max || value < min) return { error: 'range' };
  return { value };
}

// Go only accepts '_' between digits or right after a base prefix.
function underscoresOk(s: string): boolean {
  if (!s.includes('_')) return true;
  let saw: '^' | '0' | '_' | '!' = '^';
  let i = 0;
  if (s.length >= 2 && s[0] === '0' && /[xob]/i.test(s[1])) {
    saw = '0';
    i = 2;
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if (/[0-9a-z]/i.test(c)) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

const durationUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, returned in milliseconds; undefined when Go would reject it. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^([0-9]*)(\.[0-9]*)?([^0-9.]+)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === '.'))) return undefined;
    const unitMatch = /^(ns|us|µs|μs|ms|s|m|h)/.exec(m[3]);
    if (!unitMatch) return undefined;
    const unit = unitMatch[1];
    const number = Number((m[1] || '0') + (m[2] ?? ''));
    total += number * durationUnitsMs[unit];
    rest = rest.slice(m[1].length + (m[2]?.length ?? 0) + unit.length);
  }
  return sign * total;
}

/** Go's time.Duration String() for a millisecond count, used in help defaults and messages. */
/** Go's time.Duration.String for a duration in milliseconds (fractions down to the nanosecond). */
export function formatGoDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  // Below a second Go picks the largest unit that keeps the number at least 1.
  const frac = (v: number, unit: number, suffix: string) => `${sign}${trimZeros((v / unit).toFixed(Math.log10(unit)))}${suffix}`;
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return frac(ns, 1e3, 'µs');
  if (ns < 1e9) return frac(ns, 1e6, 'ms');
  const h = Math.floor(ns / 3.6e12);
  ns -= h * 3.6e12;
  const m = Math.floor(ns / 6e10);
  ns -= m * 6e10;
  let out = sign;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return out + `${trimZeros((ns / 1e9).toFixed(9))}s`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export type UrlResult = { url: URL } | { error: string };

const schemePattern = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/** One URL as etcd's types.NewURLs accepts it: http|https|unix|unixs, host:port, no path. */
export function parseEtcdUrl(raw: string): UrlResult {
  const s = raw.trim();
  const schemeMatch = schemePattern.exec(s);
  const scheme = schemeMatch ? schemeMatch[0].slice(0, -1).toLowerCase() : '';
  if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) {
    return { error: `URL scheme must be http, https, unix, or unixs: ${s}` };
  }
  const afterScheme = s.slice(schemeMatch![0].length);
  let host = '';
  let path = afterScheme;
  if (afterScheme.startsWith('//')) {
    const authority = afterScheme.slice(2);
    const end = authority.search(/[/?#]/);
    host = end < 0 ? authority : authority.slice(0, end);
    path = end < 0 ? '' : authority.slice(end);
    const at = host.lastIndexOf('@');
    if (at >= 0) host = host.slice(at + 1);
    const portErr = invalidPort(host);
    if (portErr !== undefined) return { error: `parse ${goQuote(s)}: invalid port ${goQuote(portErr)} after host` };
  }
  path = path.replace(/[?#].*$/, '');
  if (!hasHostPort(host)) return { error: `URL address does not have the form "host:port": ${s}` };
  if (path !== '') return { error: `URL must not contain a path: ${s}` };
  // Go accepts "http://:2380" here and etcd refuses it later; a URL object cannot hold it at all.
  if (host.startsWith(':') && (scheme === 'http' || scheme === 'https')) return { error: `unexpected empty host (${s})` };
  try {
    return { url: new URL(s) };
  } catch {
    return { error: `parse ${goQuote(s)}: invalid URL` };
  }
}

// Go's url.Parse rejects a non-numeric port after the last ':' of a host.
function invalidPort(host: string): string | undefined {
  const i = host.startsWith('[') ? host.indexOf(']:') + 1 : host.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = host.slice(i);
  return /^:[0-9]*$/.test(port) ? undefined : port;
}

// Go's net.SplitHostPort succeeds.
function hasHostPort(host: string): boolean {
  if (host.startsWith('[')) return /^\[[^\]]*\]:[^:]*$/.test(host);
  const colons = host.split(':').length - 1;
  return colons === 1;
}

/** The host part of a URL (brackets stripped) and its port, keeping the port a URL object drops for http:80. */
export function hostPort(u: URL): { host: string; port: number } {
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const fallback = u.protocol === 'https:' || u.protocol === 'unixs:' ? 443 : 80;
  return { host, port: u.port === '' ? fallback : Number(u.port) };
}

/** Go's url.URL String() for the URLs etcd accepts: scheme://host:port. */
export function urlString(u: URL): string {
  const { port } = hostPort(u);
  return `${u.protocol}//${u.host.includes(':') && !u.host.endsWith(']') ? u.host : `${u.host}:${port}`}`;
}
