// JSON read as etcd 3.4's gateway reads it: Go's encoding/json decoder (one value
// from the body, what follows it left unread; nesting deeper than 10,000 refused;
// syntax errors in Go's words), with number literals kept as written, since Go
// checks them against each field's type (1.0 is not an int64, 2^63 does not fit).
// Iterative, so no input can exhaust the stack. Go reads bytes: the text given is the
// body decoded as latin1 (one character per byte), so an error names the byte Go names,
// and strings come out decoded from UTF-8.

/** A number literal as written. */
export class JsonNumber {
  constructor(readonly literal: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [k: string]: JsonValue };

/** A syntax error in Go's words (encoding/json's SyntaxError and io.ErrUnexpectedEOF). */
export class GoJsonError extends Error {}

/** encoding/json's limit on nesting. */
const MAX_NESTING = 10_000;

/** Go's quoteChar: how a byte appears in a syntax error. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  if (c === '\\') return `'\\\\'`;
  const code = c.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\x07': '\\a' };
    return `'${named[c] ?? `\\x${code.toString(16).padStart(2, '0')}`}'`;
  }
  // A byte past ASCII is quoted as the rune of that number; the unprintable ones escaped.
  if ((code >= 0x80 && code <= 0xa0) || code === 0xad) return `'\\u00${code.toString(16)}'`;
  return `'${c}'`;
}

type Frame = { kind: 'array'; out: JsonValue[] } | { kind: 'object'; out: { [k: string]: JsonValue }; key?: string };

/**
 * A string value's text as written (the bytes between its quotes, as latin1), kept
 * only where it differs from the decoded string (escapes, bytes past ASCII): jsonpb
 * reads a quoted number by dropping the quotes from the bytes written, so `"\u0031"`
 * is not 1 to it. Keyed by the containing object or array, then the key or index.
 */
const WRITTEN = new WeakMap<object, Map<string | number, string>>();

/** A string member's text as written, where it differs from its decoded value. */
export function writtenText(container: object, key: string | number): string | undefined {
  return WRITTEN.get(container)?.get(key);
}

/**
 * Parses the first JSON value of `text`. `mode` 'decoder' reads as json.Decoder
 * (trailing text ignored, a cut value is "unexpected EOF"); 'unmarshal' as
 * json.Unmarshal (trailing text refused, "unexpected end of JSON input").
 */
export function parseGoJson(text: string, mode: 'decoder' | 'unmarshal' = 'decoder'): JsonValue {
  let i = 0;
  const n = text.length;
  const eof = () => new GoJsonError(mode === 'decoder' ? 'unexpected EOF' : 'unexpected end of JSON input');
  const bad = (at: number, context: string) => (at >= n ? eof() : new GoJsonError(`invalid character ${quoteChar(text[at]!)} ${context}`));
  // Inside a number or a literal, json.Unmarshal's scanner meets the end of input as a
  // space (its eof step), so a cut one is a syntax error; json.Decoder says "unexpected EOF".
  const cut = (at: number, context: string) => (at >= n && mode === 'unmarshal' ? new GoJsonError(`invalid character ' ' ${context}`) : bad(at, context));
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const stack: Frame[] = [];
  let result: JsonValue | undefined;

  const literal = (word: string, value: JsonValue): JsonValue => {
    for (let k = 1; k < word.length; k++) {
      if (i + k >= n || text[i + k] !== word[k]) throw cut(i + k, `in literal ${word} (expecting ${quoteChar(word[k]!)})`);
    }
    i += word.length;
    return value;
  };
  const digits = () => {
    const s = i;
    while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    return i - s;
  };
  const number = (): JsonValue => {
    const s = i;
    if (text[i] === '-') {
      i++;
      if (!(i < n && text[i]! >= '0' && text[i]! <= '9')) throw cut(i, 'in numeric literal');
    }
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      if (digits() === 0) throw cut(i, 'after decimal point in numeric literal');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (digits() === 0) throw cut(i, 'in exponent of numeric literal');
    }
    return new JsonNumber(text.slice(s, i));
  };
  /** The last string's text as written, when it differs from its value. */
  let written: string | undefined;
  const string = (): string => {
    i++; // the opening quote
    const start = i;
    let out = '';
    let from = i;
    for (;;) {
      if (i >= n) throw eof();
      const c = text[i]!;
      if (c === '"') {
        const piece = text.slice(from, i++);
        const decoded = utf8(piece);
        // Without escapes the piece is the whole text; utf8 hands it back unchanged when pure ASCII.
        if (from === start) written = decoded === piece ? undefined : piece;
        else written = text.slice(start, i - 1);
        return out + decoded;
      }
      if (c < ' ') throw bad(i, 'in string literal');
      if (c !== '\\') {
        i++;
        continue;
      }
      out += utf8(text.slice(from, i));
      i++;
      if (i >= n) throw eof();
      const e = text[i]!;
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) {
        out += simple[e];
        i++;
      } else if (e === 'u') {
        for (let k = 1; k <= 4; k++) {
          if (i + k >= n) throw eof();
          if (!/[0-9a-fA-F]/.test(text[i + k]!)) throw bad(i + k, 'in \\u hexadecimal character escape');
        }
        out += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16));
        i += 5;
      } else {
        throw bad(i, 'in string escape code');
      }
      from = i;
    }
  };

  /** Where a finished value goes; returns true when it was the top-level one. */
  const place = (v: JsonValue): boolean => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = v;
      return true;
    }
    const key = top.kind === 'array' ? top.out.length : top.key!;
    if (top.kind === 'array') top.out.push(v);
    else top.out[top.key!] = v;
    if (typeof v === 'string' && written !== undefined) {
      const m = WRITTEN.get(top.out) ?? new Map<string | number, string>();
      WRITTEN.set(top.out, m.set(key, written));
    }
    return false;
  };

  // Each turn reads one value's start, or closes containers, with the context Go names.
  let expectValue = true;
  let context = 'looking for beginning of value';
  for (;;) {
    if (expectValue) {
      ws();
      if (i >= n) throw eof();
      const c = text[i]!;
      let v: JsonValue | undefined;
      if (c === '{' || c === '[') {
        if (stack.length >= MAX_NESTING) throw bad(i, 'exceeded max depth');
        i++;
        if (c === '{') {
          stack.push({ kind: 'object', out: {} });
          ws();
          if (text[i] === '}') {
            i++;
            v = stack.pop()!.out;
          } else {
            if (i >= n) throw eof();
            if (text[i] !== '"') throw bad(i, 'looking for beginning of object key string');
            (stack[stack.length - 1] as { key?: string }).key = readKey();
            continue;
          }
        } else {
          stack.push({ kind: 'array', out: [] });
          ws();
          if (text[i] === ']') {
            i++;
            v = stack.pop()!.out;
          } else {
            context = 'looking for beginning of value';
            continue;
          }
        }
      } else if (c === '"') v = string();
      else if (c === '-' || (c >= '0' && c <= '9')) v = number();
      else if (c === 't') v = literal('true', true);
      else if (c === 'f') v = literal('false', false);
      else if (c === 'n') v = literal('null', null);
      else throw bad(i, context);
      if (place(v)) break;
      expectValue = false;
    }
    // After a value inside a container: a comma or the container's end.
    ws();
    const top = stack[stack.length - 1]!;
    if (i >= n) throw eof();
    const c = text[i]!;
    if (top.kind === 'array') {
      if (c === ',') {
        i++;
        expectValue = true;
        context = 'looking for beginning of value';
        continue;
      }
      if (c !== ']') throw bad(i, 'after array element');
    } else {
      if (c === ',') {
        i++;
        ws();
        if (i >= n) throw eof();
        if (text[i] !== '"') throw bad(i, 'looking for beginning of object key string');
        top.key = readKey();
        expectValue = true;
        continue;
      }
      if (c !== '}') throw bad(i, 'after object key:value pair');
    }
    i++;
    if (place(stack.pop()!.out)) break;
  }
  if (mode === 'unmarshal') {
    ws();
    if (i < n) throw bad(i, 'after top-level value');
  }
  return result!;

  /** An object key and its colon; leaves `i` at the value. */
  function readKey(): string {
    const key = string();
    ws();
    if (i >= n) throw eof();
    if (text[i] !== ':') throw bad(i, 'after object key');
    i++;
    expectValue = true;
    context = 'looking for beginning of value';
    return key;
  }
}

/** Bytes read as latin1, decoded as the UTF-8 they are. */
function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

/** Whether the text is only JSON whitespace: Go's decoder then reports io.EOF, an empty request. */
export function blankJson(text: string): boolean {
  return /^[ \t\r\n]*$/.test(text);
}

/** The kind Go names in "cannot unmarshal <kind> into Go value of type …". */
export function goKind(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof JsonNumber) return 'number';
  return Array.isArray(v) ? 'array' : 'object';
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const WELL_FORMED = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_VALUE = new Map([...B64].map((c, k) => [c.charCodeAt(0), k]));

/**
 * base64.StdEncoding.Decode as encoding/json decodes a []byte field: padding
 * required, CR and LF skipped, and an error naming the byte offset Go names.
 */
export function goBase64(s: string): Buffer {
  // Well-formed (the usual case): Node's decoder, which agrees on such input.
  if (s.length % 4 === 0 && WELL_FORMED.test(s)) return Buffer.from(s, 'base64');
  const src = Buffer.from(s, 'utf8');
  const out: number[] = [];
  const nl = (b: number) => b === 0x0a || b === 0x0d;
  const corrupt = (at: number) => new GoJsonError(`illegal base64 data at input byte ${at}`);
  let si = 0;
  while (si < src.length) {
    const q: number[] = [];
    let padded = false;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const b = src[si++]!;
      const v = B64_VALUE.get(b);
      if (v !== undefined) {
        q.push(v);
        continue;
      }
      if (nl(b)) {
        j--;
        continue;
      }
      if (b !== 0x3d) throw corrupt(si - 1);
      // Padding: only in a quantum's third or fourth place, and the end of the input.
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && nl(src[si]!)) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && nl(src[si]!)) si++;
      if (si < src.length) throw corrupt(si);
      padded = true;
      break;
    }
    const bits = q.reduce((acc, v) => acc * 64 + v, 0) * 64 ** (4 - q.length);
    const bytes = [(bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff];
    out.push(...bytes.slice(0, q.length - 1));
    if (padded) break;
  }
  return Buffer.from(out);
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint8: [0n, 255n],
};

/**
 * An integer field's value as jsonpb reads it: a quoted value has its quotes dropped
 * and is read as JSON again; then only an integer literal in range is taken.
 * `goType` names the Go type in errors (int64, or an enum's type).
 */
export function goInteger(v: JsonValue, width: keyof typeof INT_RANGE, goType: string = width): bigint {
  const value = typeof v === 'string' ? parseGoJson(v, 'unmarshal') : v;
  // A quoted null is a JSON null, which leaves the field at zero.
  if (value === null) return 0n;
  if (!(value instanceof JsonNumber)) throw new GoJsonError(`json: cannot unmarshal ${goKind(value)} into Go value of type ${goType}`);
  const lit = value.literal;
  const [lo, hi] = INT_RANGE[width]!;
  if (/^-?[0-9]+$/.test(lit)) {
    const big = BigInt(lit);
    if (big >= lo && big <= hi) return big;
  }
  throw new GoJsonError(`json: cannot unmarshal number ${lit} into Go value of type ${goType}`);
}
