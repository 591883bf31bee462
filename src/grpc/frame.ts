// gRPC length-prefixed messages: 1 flag byte (1 = compressed), 4-byte big-endian
// length, then the message. HTTP/2 DATA frames split and join messages freely.

export const HEADER_BYTES = 5;

/** Frames one message; small messages are copied into one buffer so they go out in one write. */
export function frameMessage(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, HEADER_BYTES);
  return out;
}

export type ReadError =
  | { kind: 'tooLarge'; length: number }
  | { kind: 'badFlag'; flag: number };

/** Receives what a MessageReader reassembles. */
export interface MessageSink {
  onMessage(msg: Buffer, compressed: boolean): void;
  onReadError(err: ReadError): void;
}

/**
 * Reassembles messages from arbitrary chunks. Each message is handed out as soon
 * as it is complete; its size is checked as soon as its header is seen, so an
 * oversize message is refused before its body is buffered.
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the message at the head of `pending` needs in total, or -1 before its header is known. */
  private need = -1;
  private failed = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: MessageSink,
  ) {}

  /** Bytes of a partial message still buffered: non-zero at end of stream means truncation. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.need < 0 && this.pendingBytes >= HEADER_BYTES) {
        const head = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
        this.pending = [head];
        if (!this.checkHeader(head, 0)) return;
        this.need = HEADER_BYTES + head.readUInt32BE(1);
      }
      if (this.need < 0 || this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = -1;
    }
    let off = 0;
    while (buf.length - off >= HEADER_BYTES) {
      if (!this.checkHeader(buf, off)) return;
      const len = buf.readUInt32BE(off + 1);
      const end = off + HEADER_BYTES + len;
      if (end > buf.length) {
        this.need = HEADER_BYTES + len;
        break;
      }
      this.sink.onMessage(buf.subarray(off + HEADER_BYTES, end), buf[off] === 1);
      off = end;
      if (this.failed) return;
    }
    if (off < buf.length) {
      this.pending = [buf.subarray(off)];
      this.pendingBytes = buf.length - off;
    }
  }

  /** Stops delivering messages, e.g. after the call failed. */
  stop(): void {
    this.failed = true;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private checkHeader(buf: Buffer, off: number): boolean {
    const flag = buf[off];
    if (flag > 1) {
      this.stop();
      this.sink.onReadError({ kind: 'badFlag', flag });
      return false;
    }
    const len = buf.readUInt32BE(off + 1);
    if (len > this.maxBytes) {
      this.stop();
      this.sink.onReadError({ kind: 'tooLarge', length: len });
      return false;
    }
    return true;
  }
}
