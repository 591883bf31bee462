// Splits a request body into successive JSON values, as Go's json.Decoder reads a
// stream of objects (newline-separated or not) from a streaming gateway call.
/**
 * What ended the stream of values, after the values `before` it that were complete.
 * Go's decoder reads those first, so a syntax error inside one of them is the one reported.
 */
export class StreamBreak extends Error {
  before: string[] = [];
}

/** A top-level value that is not an object or array, with the text from its start. */
export class ScalarValue extends StreamBreak {
  constructor(readonly text: string) {
    super('a request that is not an object');
  }
}

/** A closing bracket with nothing open. */
export class StrayClose extends StreamBreak {}

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
      // A string at the top level is a request that is not an object, like any other scalar.
      if (ch === '"' && this.depth > 0) this.inString = true;
      else if (ch === '{' || ch === '[') {
        if (this.depth++ === 0) this.start = i;
      } else if (ch === '}' || ch === ']') {
        if (--this.depth === 0) out.push(this.buf.slice(this.start, i + 1));
        else if (this.depth < 0) throw Object.assign(new StrayClose(`invalid character '${ch}' looking for beginning of value`), { before: out });
      } else if (this.depth === 0 && !/\s/.test(ch)) {
        // Not an object or array: the request is read from here, to fail as Go's decoder fails it.
        throw Object.assign(new ScalarValue(this.buf.slice(i)), { before: out });
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

  /** The unfinished value's text so far. */
  get rest(): string {
    return this.depth > 0 ? this.buf : '';
  }

  /** Text of an unfinished value left at the end of the body. */
  get pending(): boolean {
    return this.depth > 0;
  }
}
