// JSON with 64-bit unsigned integers, as Go's encoding/json writes member IDs: a plain
// JSON.parse would round them to doubles. Numbers too long to be exact become strings
// before parsing; callers turn the fields they expect into bigints.

/** A JSON number token: integer part, fraction, exponent. */
const NUMBER = /(-?[0-9]+)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** JSON.parse, except that integer literals beyond 2^53 arrive as strings of their digits. */
export function parseJsonExact(text: string): unknown {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) continue; // not a number: JSON.parse reports it
      if (m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(Number(m[1]))) {
        out += text.slice(last, i) + '"' + m[1] + '"';
        last = i + m[0].length;
      }
      i += m[0].length - 1;
    }
  }
  return JSON.parse(out + text.slice(last));
}

/** A uint64 read from parseJsonExact's output (a number or a string of digits). */
export function jsonUint64(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) {
    const n = BigInt(v);
    if (n < 1n << 64n) return n;
  }
  throw new Error(`${what}: not a uint64: ${JSON.stringify(v)}`);
}
