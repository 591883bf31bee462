// The peer stream's framing: each Raft message travels as a 4-byte big-endian length
// followed by its encoding (src/raft/codec), so many messages share one write and one packet.
import { encodeMessageFrames, decodeMessage } from '../raft/index.js';
import type { Message } from '../raft/types.js';

/** A frame larger than this means a corrupt or hostile stream, not a Raft message. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function encodeFrames(messages: readonly Message[]): Buffer {
  const b = encodeMessageFrames(messages);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Reassembles frames split across chunks; push() returns the messages completed so far. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Message[] = [];
    let p = 0;
    while (this.buf.length - p >= 4) {
      const n = this.buf.readUInt32BE(p);
      if (n > MAX_FRAME_BYTES) throw new Error(`peer frame of ${n} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buf.length - p - 4 < n) break;
      // A plain Uint8Array view, not a copy: decoding copies every byte field (a
      // Uint8Array's slice copies, a Buffer's would not), so nothing decoded pins this chunk.
      out.push(decodeMessage(new Uint8Array(this.buf.buffer, this.buf.byteOffset + p + 4, n)));
      p += 4 + n;
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(p);
    return out;
  }
}
