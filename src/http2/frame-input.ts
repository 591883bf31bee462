// Splits a client's bytes into the connection preface and whole frames,
// whatever the chunking: a frame split across reads is put together (copying
// only that frame), frames within a read are handed out as views of it. A frame
// declared larger than our SETTINGS_MAX_FRAME_SIZE is refused as soon as its
// header is seen, before its payload is waited for.
import { DEFAULT_MAX_FRAME, ErrorCode, FRAME_HEADER_BYTES, PREFACE } from './constants.js';
import { ConnectionError } from './errors.js';

export interface FrameSink {
  /** One whole frame: its 9-byte header at buf[pos], `len` payload bytes after it. */
  frame(buf: Buffer, pos: number, len: number): void;
  /** True once no more frames are wanted (the connection failed or finished). */
  readonly stopped: boolean;
}

export class FrameInput {
  private prefaceSeen = false;
  /** Bytes of an incomplete preface or frame carried to the next push. */
  private partial: Buffer | undefined;

  push(chunk: Buffer, sink: FrameSink): void {
    let pos = 0;
    if (this.partial !== undefined) {
      // Complete the carried-over preface or frame from the front of this chunk.
      let p = this.partial;
      const headerLen = this.prefaceSeen ? FRAME_HEADER_BYTES : PREFACE.length;
      if (p.length < headerLen) {
        const take = Math.min(headerLen - p.length, chunk.length);
        p = Buffer.concat([p, chunk.subarray(0, take)]);
        pos = take;
        if (p.length < headerLen) {
          this.partial = p;
          return;
        }
      }
      if (this.prefaceSeen) {
        const need = FRAME_HEADER_BYTES + frameLength(p, 0);
        const take = Math.min(need - p.length, chunk.length - pos);
        if (take > 0) {
          p = Buffer.concat([p, chunk.subarray(pos, pos + take)]);
          pos += take;
        }
        if (p.length < need) {
          this.partial = p;
          return;
        }
      }
      this.partial = undefined;
      this.split(p, 0, sink);
      if (sink.stopped || pos === chunk.length) return;
    }
    this.split(chunk, pos, sink);
  }

  private split(buf: Buffer, pos: number, sink: FrameSink): void {
    if (!this.prefaceSeen) {
      const n = Math.min(PREFACE.length, buf.length - pos);
      if (buf.compare(PREFACE, 0, n, pos, pos + n) !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
      if (n < PREFACE.length) {
        this.partial = buf.subarray(pos);
        return;
      }
      pos += PREFACE.length;
      this.prefaceSeen = true;
    }
    const end = buf.length;
    while (pos < end) {
      if (end - pos < FRAME_HEADER_BYTES) {
        this.partial = buf.subarray(pos);
        return;
      }
      const len = frameLength(buf, pos);
      if (end - pos < FRAME_HEADER_BYTES + len) {
        this.partial = buf.subarray(pos);
        return;
      }
      sink.frame(buf, pos, len);
      if (sink.stopped) return;
      pos += FRAME_HEADER_BYTES + len;
    }
  }
}

/** The length of the frame at buf[pos], refused at once when over our SETTINGS_MAX_FRAME_SIZE. */
function frameLength(buf: Buffer, pos: number): number {
  const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
  if (len > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${len} bytes`);
  return len;
}
