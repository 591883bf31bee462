// Bytes arriving on a peer stream, in chunks of whatever size the socket delivered.
// Decoders look at the head of the queue; chunks are joined only when a record spans
// them, and only once enough bytes have arrived for the part being read, so a large
// record arriving in many chunks is not copied again on every chunk. Consuming moves
// an offset into the first chunk rather than slicing it, message after message.

export class StreamBuffer {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * A buffer holding the first n bytes (n ≤ length) contiguously, from headAt on.
   */
  head(n: number): Buffer {
    if (n > this.length) throw new RangeError(`stream buffer: ${n} bytes wanted, ${this.length} held`);
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return first;
    const joined = Buffer.concat([first.subarray(this.offset), ...this.chunks.slice(1)], this.length);
    this.chunks = [joined];
    this.offset = 0;
    return joined;
  }

  /** Where the bytes head() returned start in its buffer. */
  get headAt(): number {
    return this.offset;
  }

  /** The byte at the head (length must be > 0). */
  peek(): number {
    return this.chunks[0]![this.offset]!;
  }

  consume(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.offset;
      if (left <= n) {
        n -= left;
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += n;
        n = 0;
      }
    }
  }
}
