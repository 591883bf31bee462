// Bytes on their way to the socket. Frames are written into a slab that is
// handed out in slices and never rewritten (a slice given to the socket may sit
// in its queue), so a response of a few frames costs no allocation; large
// payloads are passed along as they are instead of being copied.
import { FrameType } from './constants.js';

const SLAB = 64 * 1024;
const FIRST_SLAB = 4096;
/** Payloads up to this size are copied next to their frame header rather than queued apart. */
export const COPY_MAX = 2048;
/** Copies up to this size are done byte by byte. */
const SMALL_COPY = 32;

export class Output {
  /** Slabs start small (idle connections hold little) and double up to SLAB as traffic fills them. */
  private nextSize = FIRST_SLAB;
  buf: Buffer = Buffer.allocUnsafe(FIRST_SLAB);
  /** Write position in buf. */
  pos = 0;
  /** Start of the bytes in buf not yet moved to segs. */
  private start = 0;
  private segs: Buffer[] = [];
  /** Bytes written and not yet taken. */
  private sealed = 0;

  get length(): number {
    return this.sealed + this.pos - this.start;
  }

  /** Makes room for n contiguous bytes at pos. */
  reserve(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    this.seal();
    this.nextSize = Math.min(SLAB, this.nextSize * 2);
    this.buf = Buffer.allocUnsafe(Math.max(this.nextSize, n));
    this.pos = 0;
    this.start = 0;
  }

  frameHeader(length: number, type: number, flags: number, streamId: number): void {
    this.reserve(9);
    const b = this.buf;
    let p = this.pos;
    b[p++] = length >>> 16;
    b[p++] = (length >>> 8) & 0xff;
    b[p++] = length & 0xff;
    b[p++] = type;
    b[p++] = flags;
    b[p++] = streamId >>> 24;
    b[p++] = (streamId >>> 16) & 0xff;
    b[p++] = (streamId >>> 8) & 0xff;
    b[p++] = streamId & 0xff;
    this.pos = p;
  }

  uint32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** Copies src[from, to). */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    const b = this.buf;
    let p = this.pos;
    if (n <= SMALL_COPY) {
      // Cheaper than a native copy's call overhead at these sizes.
      for (let i = from; i < to; i++) b[p++] = src[i]!;
    } else {
      b.set(n === src.length ? src : src.subarray(from, to), p);
      p += n;
    }
    this.pos = p;
  }

  windowUpdate(id: number, inc: number): void {
    this.frameHeader(4, FrameType.WINDOW_UPDATE, 0, id);
    this.uint32(inc);
  }

  rstStream(id: number, code: number): void {
    this.frameHeader(4, FrameType.RST_STREAM, 0, id);
    this.uint32(code);
  }

  goAway(lastStreamId: number, code: number, debug: string): void {
    const extra = Buffer.byteLength(debug);
    this.frameHeader(8 + extra, FrameType.GOAWAY, 0, 0);
    this.uint32(lastStreamId);
    this.uint32(code);
    if (extra > 0) {
      this.reserve(extra);
      this.pos += this.buf.write(debug, this.pos, 'utf8');
    }
  }

  settings(pairs: readonly (readonly [number, number])[]): void {
    this.frameHeader(pairs.length * 6, FrameType.SETTINGS, 0, 0);
    for (const [id, value] of pairs) {
      this.reserve(6);
      this.buf.writeUInt16BE(id, this.pos);
      this.buf.writeUInt32BE(value, this.pos + 2);
      this.pos += 6;
    }
  }

  /** Appends a buffer without copying it; it must not change until taken and written. */
  append(data: Buffer): void {
    this.seal();
    this.segs.push(data);
    this.sealed += data.length;
  }

  /** Everything written since the last take, in order; empty when nothing was. */
  take(): Buffer[] {
    this.seal();
    const out = this.segs;
    if (out.length > 0) {
      this.segs = [];
      this.sealed = 0;
    }
    return out;
  }

  private seal(): void {
    if (this.pos > this.start) {
      this.segs.push(this.buf.subarray(this.start, this.pos));
      this.sealed += this.pos - this.start;
      this.start = this.pos;
    }
  }
}
