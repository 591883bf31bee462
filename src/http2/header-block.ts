// A request's header block as it arrives: a HEADERS frame (its padding and
// priority fields stripped) and, without END_HEADERS, the CONTINUATION frames
// that finish it. Continued blocks are copied into one buffer, bounded in size
// and frame count; a block that fits one frame is used where it lies.
import { ErrorCode, Flag } from './constants.js';
import { ConnectionError } from './errors.js';

/** A header block spread over more CONTINUATION frames than this is an attack, not a request. */
const MAX_CONTINUATIONS = 4096;

export class HeaderBlockAssembler {
  /** The stream whose block is being continued; 0 when none is. */
  stream = 0;
  // The complete block, valid after headers() or continuation() returned true.
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** The HEADERS frame's flags (END_STREAM is the one that matters). */
  flags = 0;
  /** The HEADERS frame's priority names its own stream. */
  selfDependent = false;

  private acc: Buffer | undefined;
  private accLen = 0;
  private frames = 0;

  constructor(private readonly maxBytes: number) {}

  /** A HEADERS frame; true when it completes the block (END_HEADERS). */
  headers(buf: Buffer, p: number, len: number, flags: number, id: number): boolean {
    let start = p;
    let end = p + len;
    if (flags & Flag.PADDED) {
      if (len < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'empty padded HEADERS');
      end -= buf[p]!;
      start++;
    }
    this.selfDependent = false;
    if (flags & Flag.PRIORITY) {
      if (end - start < 5) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds HEADERS');
      this.selfDependent = (buf.readUInt32BE(start) & 0x7fff_ffff) === id;
      start += 5;
    }
    if (end < start) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds HEADERS');
    this.flags = flags;
    if (flags & Flag.END_HEADERS) {
      this.buf = buf;
      this.start = start;
      this.end = end;
      return true;
    }
    this.stream = id;
    this.frames = 0;
    this.accLen = 0;
    this.append(buf, start, end);
    return false;
  }

  /** A CONTINUATION frame; true when it completes the block. */
  continuation(buf: Buffer, p: number, len: number, flags: number, id: number): boolean {
    if (this.stream === 0 || id !== this.stream) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    if (++this.frames > MAX_CONTINUATIONS) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many CONTINUATION frames');
    this.append(buf, p, p + len);
    if (!(flags & Flag.END_HEADERS)) return false;
    this.stream = 0;
    this.buf = this.acc!;
    this.start = 0;
    this.end = this.accLen;
    this.acc = undefined;
    return true;
  }

  private append(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.accLen + n > this.maxBytes) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    let acc = this.acc;
    if (acc === undefined || acc.length < this.accLen + n) {
      const grown = Buffer.allocUnsafe(Math.max(2 * (this.accLen + n), 4096));
      if (acc !== undefined) acc.copy(grown, 0, 0, this.accLen);
      this.acc = acc = grown;
    }
    buf.copy(acc, this.accLen, from, to);
    this.accLen += n;
  }
}
