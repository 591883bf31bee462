// The peer stream's framing: each Raft message travels as a 4-byte big-endian length
// followed by its protobuf encoding, so many messages share one write and one packet.
import { encodeMessage, decodeMessage } from '../raft/index.js';
import type { Message } from '../raft/types.js';

/** A frame larger than this means a corrupt or hostile stream, not a Raft message. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export function encodeFrames(messages: readonly Message[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const body = encodeMessage(m);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    parts.push(head, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  return Buffer.concat(parts);
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
      // Copy: decoded entries outlive this chunk and must not pin it.
      out.push(decodeMessage(new Uint8Array(this.buf.subarray(p + 4, p + 4 + n))));
      p += 4 + n;
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(p);
    return out;
  }
}
