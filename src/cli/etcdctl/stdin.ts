// One reader over stdin shared by everything a command reads: password prompts
// take a line (or a token) and leave the rest for put's value, txn's lines, …
import type { Readable } from 'node:stream';

export class StdinReader {
  private buf = Buffer.alloc(0);
  private ended = false;
  private waiters: (() => void)[] = [];
  private started = false;

  constructor(private readonly input: Readable) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.input.on('data', (ch: Buffer) => {
      this.buf = Buffer.concat([this.buf, ch]);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    this.input.on('end', end);
    this.input.on('error', end);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `ready` holds for the buffer or stdin has ended. */
  private async until(ready: (b: Buffer) => boolean): Promise<void> {
    this.start();
    while (!ready(this.buf) && !this.ended) await new Promise<void>((r) => this.waiters.push(r));
  }

  private take(n: number): Buffer {
    const head = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return head;
  }

  /** Up to the next newline (consumed, not returned), or whatever is left at the end; undefined at EOF. */
  async line(): Promise<string | undefined> {
    await this.until((b) => b.includes(0x0a));
    const nl = this.buf.indexOf(0x0a);
    if (nl >= 0) {
      const l = this.take(nl + 1);
      return l.subarray(0, nl).toString('utf8');
    }
    if (this.buf.length === 0) return undefined;
    return this.take(this.buf.length).toString('utf8');
  }

  /** Only newline-terminated lines, as bufio's ReadString('\n') yields them. */
  async *lines(): AsyncIterable<string> {
    for (;;) {
      await this.until((b) => b.includes(0x0a));
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) return;
      yield this.take(nl + 1).subarray(0, nl).toString('utf8');
    }
  }

  /**
   * fmt.Scanf("%s"): spaces skipped, then one word up to the next white space;
   * empty when a newline or the end comes first.
   */
  async token(): Promise<string> {
    const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d;
    await this.until((b) => {
      let i = 0;
      while (i < b.length && isSpace(b[i]!)) i++;
      if (i < b.length && b[i] === 0x0a) return true;
      while (i < b.length && !isSpace(b[i]!) && b[i] !== 0x0a) i++;
      return i < b.length;
    });
    let i = 0;
    while (i < this.buf.length && isSpace(this.buf[i]!)) i++;
    this.take(i);
    let j = 0;
    while (j < this.buf.length && !isSpace(this.buf[j]!) && this.buf[j] !== 0x0a) j++;
    return this.take(j).toString('utf8');
  }

  /** Everything left until stdin ends. */
  async rest(): Promise<Buffer> {
    await this.until(() => false);
    return this.take(this.buf.length);
  }
}
