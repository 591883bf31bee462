// The sending half of a connection: response headers, data and trailers into
// the output, within the peer's flow-control windows (RFC 9113 §6.9) and its
// frame size, and only while the edge has room. What cannot go yet waits in its
// stream's queue, and streams waiting for the connection window or for room
// wait in line, served in turn when either comes back.
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, Flag, FRAME_HEADER_BYTES, FrameType, MAX_WINDOW } from './constants.js';
import { HeaderBlock, HpackEncoder, maxEncodedLength } from './hpack-encoder.js';
import { COPY_MAX, Output } from './output.js';
import type { Headers, Stream } from './stream.js';

/** What the sender needs from its connection. */
export interface OutboundHost {
  /** A stream's END_STREAM is out (its queue is empty). */
  localEnd(stream: Stream): void;
  /** Something was written to the output. */
  signal(): void;
}

export class Outbound {
  readonly out = new Output();
  readonly encoder = new HpackEncoder();
  /** The peer's SETTINGS_MAX_FRAME_SIZE and SETTINGS_INITIAL_WINDOW_SIZE. */
  peerMaxFrame = DEFAULT_MAX_FRAME;
  peerInitialWindow = DEFAULT_WINDOW;
  /** HEADERS and DATA frames sent so far (ping enforcement forgives after any). */
  sentFrames = 0;
  private connWindow = DEFAULT_WINDOW;
  private writable = true;
  /** Streams with queued data, waiting for connection window or for room. */
  private waiting: Stream[] = [];

  constructor(
    private readonly host: OutboundHost,
    /** Queued bytes per stream past which write() asks the caller to wait. */
    private readonly highWater: number,
    /** Untaken output past which data waits in its stream. */
    private readonly outputHigh: number,
  ) {}

  /** Whether the edge's socket takes more now. */
  setWritable(writable: boolean): void {
    if (this.writable === writable) return;
    this.writable = writable;
    if (writable) this.pumpWaiting();
  }

  /** Takes the output; streams waiting for room then queue their next frames. */
  take(): Buffer[] {
    const segs = this.out.take();
    if (this.waiting.length > 0) this.pumpWaiting();
    return segs;
  }

  /** A connection WINDOW_UPDATE; false when the window would overflow. */
  connectionWindowUpdate(inc: number): boolean {
    this.connWindow += inc;
    if (this.connWindow > MAX_WINDOW) return false;
    this.pumpWaiting();
    return true;
  }

  /** A stream WINDOW_UPDATE; false when the window would overflow. */
  streamWindowUpdate(stream: Stream, inc: number): boolean {
    stream.sendWindow += inc;
    if (stream.sendWindow > MAX_WINDOW) return false;
    this.pump(stream);
    return true;
  }

  /** SETTINGS_INITIAL_WINDOW_SIZE changed: open streams' windows move by the change, possibly below zero (§6.9.2). */
  initialWindowChanged(streams: Iterable<Stream>, value: number): boolean {
    const delta = value - this.peerInitialWindow;
    this.peerInitialWindow = value;
    if (delta === 0) return true;
    const open = [...streams];
    for (const s of open) {
      s.sendWindow += delta;
      if (s.sendWindow > MAX_WINDOW) return false;
    }
    if (delta > 0) for (const s of open) if (s.queued > 0) this.pump(s);
    return true;
  }

  headers(stream: Stream, headers: Headers, endStream: boolean): void {
    this.writeHeaders(stream.id, headers, endStream);
    if (endStream) this.host.localEnd(stream);
  }

  data(stream: Stream, head: Uint8Array | undefined, body: Uint8Array, endStream: boolean): boolean {
    const n = (head === undefined ? 0 : head.length) + body.length;
    const out = this.out;
    if (stream.queued === 0 && this.writable && n <= stream.sendWindow && n <= this.connWindow && n <= this.peerMaxFrame && out.length < this.outputHigh) {
      // The common case: the whole piece goes out now, as one frame.
      out.frameHeader(n, FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream.id);
      if (head !== undefined) out.copy(head, 0, head.length);
      if (body.length <= COPY_MAX) out.copy(body, 0, body.length);
      else out.append(toBuffer(body));
      stream.sendWindow -= n;
      this.connWindow -= n;
      this.sentFrames++;
      this.host.signal();
      if (endStream) this.host.localEnd(stream);
      return true;
    }
    if (head !== undefined && head.length > 0) enqueue(stream, Buffer.from(head));
    if (body.length > 0) enqueue(stream, toBuffer(body));
    if (endStream) stream.queuedEnd = true;
    this.pump(stream);
    if (stream.queued < this.highWater || stream.closed) return true;
    stream.needDrain = true;
    return false;
  }

  trailers(stream: Stream, trailers: Headers): void {
    if (stream.queued > 0) {
      stream.queuedTrailers = trailers;
      return;
    }
    this.writeHeaders(stream.id, trailers, true);
    this.host.localEnd(stream);
  }

  /** Sends as much of a stream's queue as the windows and the room allow, then what follows it. */
  pump(stream: Stream): void {
    if (stream.closed) return;
    const out = this.out;
    const before = this.sentFrames;
    while (stream.queued > 0) {
      const allowed = Math.min(stream.sendWindow, this.connWindow, this.peerMaxFrame);
      const room = this.writable && out.length < this.outputHigh;
      if (allowed <= 0 || !room) {
        // A shut stream window reopens by WINDOW_UPDATE on the stream; the rest wait in line.
        if ((this.connWindow <= 0 || !room) && !stream.waiting) {
          stream.waiting = true;
          this.waiting.push(stream);
        }
        // Frames queued before the window shut must still reach the socket: a
        // write() outside the edge's read turn has no flush of its own coming.
        if (this.sentFrames !== before) this.host.signal();
        return;
      }
      const n = Math.min(allowed, stream.queued);
      const last = n === stream.queued && stream.queuedEnd && stream.queuedTrailers === undefined;
      out.frameHeader(n, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id);
      this.moveQueued(stream, n);
      stream.sendWindow -= n;
      this.connWindow -= n;
      this.sentFrames++;
      if (last) stream.queuedEnd = false;
    }
    this.host.signal();
    if (stream.queuedTrailers !== undefined) {
      const trailers = stream.queuedTrailers;
      stream.queuedTrailers = undefined;
      this.writeHeaders(stream.id, trailers, true);
      this.host.localEnd(stream);
    } else if (stream.queuedEnd) {
      stream.queuedEnd = false;
      out.frameHeader(0, FrameType.DATA, Flag.END_STREAM, stream.id);
      this.host.localEnd(stream);
    } else if (stream.localEnded) {
      this.host.localEnd(stream);
    }
    if (stream.needDrain && !stream.closed) {
      stream.needDrain = false;
      stream.sink.onWritable();
    }
  }

  private pumpWaiting(): void {
    while (this.waiting.length > 0 && this.writable && this.connWindow > 0 && this.out.length < this.outputHigh) {
      const list = this.waiting;
      this.waiting = [];
      for (const stream of list) {
        stream.waiting = false;
        this.pump(stream);
      }
    }
  }

  /** Moves n queued bytes of a stream into the output. */
  private moveQueued(stream: Stream, n: number): void {
    const queue = stream.queue!;
    stream.queued -= n;
    while (n > 0) {
      const chunk = queue[0]!;
      const from = stream.queueOffset;
      const take = Math.min(n, chunk.length - from);
      if (take <= COPY_MAX) this.out.copy(chunk, from, from + take);
      else this.out.append(chunk.subarray(from, from + take));
      n -= take;
      if (from + take === chunk.length) {
        queue.shift();
        stream.queueOffset = 0;
      } else {
        stream.queueOffset = from + take;
      }
    }
  }

  private writeHeaders(id: number, headers: Headers, endStream: boolean): void {
    const block = headers instanceof HeaderBlock ? headers : undefined;
    const max = block !== undefined ? block.maxLength : maxEncodedLength(headers as readonly string[]);
    const out = this.out;
    out.reserve(FRAME_HEADER_BYTES + max);
    const at = out.pos;
    const start = at + FRAME_HEADER_BYTES;
    const end = block !== undefined ? this.encoder.encodeBlock(block, out.buf, start) : this.encoder.encode(headers as readonly string[], out.buf, start);
    const len = end - start;
    const flags = endStream ? Flag.END_STREAM : 0;
    if (len <= this.peerMaxFrame) {
      out.frameHeader(len, FrameType.HEADERS, flags | Flag.END_HEADERS, id);
      out.pos = end;
    } else {
      // Too big for one frame: HEADERS then CONTINUATION frames.
      const bytes = Buffer.from(out.buf.subarray(start, end));
      out.pos = at;
      for (let off = 0; off < len; off += this.peerMaxFrame) {
        const n = Math.min(this.peerMaxFrame, len - off);
        const lastFrame = off + n === len;
        out.frameHeader(n, off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, (off === 0 ? flags : 0) | (lastFrame ? Flag.END_HEADERS : 0), id);
        out.copy(bytes, off, off + n);
      }
    }
    this.sentFrames++;
    this.host.signal();
  }
}

function enqueue(stream: Stream, data: Buffer): void {
  if (stream.queue === undefined) stream.queue = [];
  stream.queue.push(data);
  stream.queued += data.length;
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}
