// Splits a request body into successive JSON values, as Go's json.Decoder reads a
// stream of objects (newline-separated or not) from a streaming gateway call.
export class JsonValueSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Feeds text; returns the complete top-level values it finished. */
  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const ch = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') {
        if (this.depth++ === 0) this.start = i;
      } else if (ch === '}' || ch === ']') {
        if (--this.depth === 0) out.push(this.buf.slice(this.start, i + 1));
        else if (this.depth < 0) throw new SyntaxError(`invalid character '${ch}' looking for beginning of value`);
      } else if (this.depth === 0 && !/\s/.test(ch)) {
        throw new SyntaxError(`invalid character '${ch}' looking for beginning of value`);
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
    }
    return out;
  }

  /** Text of an unfinished value left at the end of the body. */
  get pending(): boolean {
    return this.depth > 0;
  }
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact: Go's decoder reads int64 and uint64
 * fields (lease and member IDs) from bare numbers, so such literals become strings,
 * which the protobuf conversion takes for 64-bit fields.
 */
export function parseJsonExact(text: string): unknown {
  let out = '';
  let last = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    if ((ch === '-' || (ch >= '0' && ch <= '9')) && !/[0-9A-Za-z.]/.test(text[i - 1] ?? '')) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      const isInteger = !/[.eE]/.test(text[j] ?? '');
      if (isInteger && !Number.isSafeInteger(Number(literal)) && /^-?[0-9]+$/.test(literal)) {
        out += text.slice(last, i) + `"${literal}"`;
        last = j;
      }
      i = j - 1;
    }
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}
