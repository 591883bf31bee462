// Bytes arriving on a peer stream, in chunks of whatever size the socket delivered.
// Decoders look at the head of the queue; chunks are joined only when a record spans
// them, and only once enough bytes have arrived for the part being read, so a large
// record arriving in many chunks is not copied again on every chunk.

export class StreamBuffer {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first n bytes as one contiguous buffer (n ≤ length). */
  head(n: number): Buffer {
    if (n > this.length) throw new RangeError(`stream buffer: ${n} bytes wanted, ${this.length} held`);
    const first = this.chunks[0];
    if (first && first.length >= n) return first;
    const joined = Buffer.concat(this.chunks, this.length);
    this.chunks = [joined];
    return joined;
  }

  consume(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        n -= first.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}
