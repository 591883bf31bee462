// One request/response exchange on an HTTP/2 connection, as the server sees it.
// The connection owns the protocol state; a Stream is its handle for the
// application: read the request's fields, receive the body through a sink, and
// respond, write and end (or reset) through the methods below.
import type { HeaderBlock } from './hpack-encoder.js';

/** What the application hears about a stream. Called from inside the connection: no re-entrant surprises are expected of it. */
export interface StreamSink {
  /** A piece of the request body (a view of the received bytes; it may be kept). */
  onData(data: Buffer): void;
  /** The request body is complete (END_STREAM). */
  onEnd(): void;
  /** The stream is over: NO_ERROR when both sides ended, otherwise the reset's code (ours, the peer's, or CANCEL when the connection went). */
  onClose(code: number): void;
  /** Queued response data fell below the high-water mark after write() returned false. */
  onWritable(): void;
}

export type Headers = HeaderBlock | readonly string[];

/** The connection operations a stream's handle uses (implemented by ServerConnection). */
export interface StreamOwner {
  sendHeaders(stream: Stream, headers: Headers, endStream: boolean): void;
  sendData(stream: Stream, head: Uint8Array | undefined, body: Uint8Array, endStream: boolean): boolean;
  sendTrailers(stream: Stream, trailers: Headers): void;
  resetStream(stream: Stream, code: number): void;
  setPaused(stream: Stream, paused: boolean): void;
}

const NULL_SINK: StreamSink = { onData() {}, onEnd() {}, onClose() {}, onWritable() {} };

export class Stream {
  sink: StreamSink = NULL_SINK;
  /** Set by the application to find its own state from the stream (e.g. its call). */
  context: unknown = undefined;

  // ---- protocol state, owned by the connection ----
  /** END_STREAM received: the request body is complete. */
  remoteEnded = false;
  /** Response headers sent. */
  headersSent = false;
  /** The response is complete from the application's side (END_STREAM written or queued). */
  localEnded = false;
  /** Gone from the connection (both ends done, or reset). */
  closed = false;
  sendWindow: number;
  recvWindow: number;
  /** Received bytes consumed but not yet returned to the peer by WINDOW_UPDATE. */
  recvUnacked = 0;
  /** Received bytes held back from the window while paused. */
  recvHeld = 0;
  paused = false;
  /** Response data waiting for flow-control window or socket room. */
  queue: Buffer[] | undefined = undefined;
  queueOffset = 0;
  queued = 0;
  /** What follows the queued data: trailers, or a bare END_STREAM. */
  queuedTrailers: Headers | undefined = undefined;
  queuedEnd = false;
  /** write() returned false: tell the sink when the queue drains. */
  needDrain = false;
  /** In the connection's list of streams waiting for window or socket room. */
  waiting = false;

  constructor(
    private readonly owner: StreamOwner,
    readonly id: number,
    /** The request's fields: name, value, name, value… (pseudo-headers first). */
    readonly fields: readonly string[],
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** The first value of a request field, or undefined. */
  field(name: string): string | undefined {
    const f = this.fields;
    for (let i = 0; i < f.length; i += 2) if (f[i] === name) return f[i + 1];
    return undefined;
  }

  /** Sends the response headers; with endStream the response is complete (no body, no trailers). */
  respond(headers: Headers, endStream = false): void {
    this.owner.sendHeaders(this, headers, endStream);
  }

  /**
   * Queues body bytes (`head` then `body`; `head` is copied at once, `body` may be
   * kept until sent). False when the caller should wait for the sink's onWritable.
   */
  write(body: Uint8Array, endStream = false, head?: Uint8Array): boolean {
    return this.owner.sendData(this, head, body, endStream);
  }

  /** Ends the response with trailers, after any queued data. */
  end(trailers?: Headers): void {
    if (trailers) this.owner.sendTrailers(this, trailers);
    else this.owner.sendData(this, undefined, EMPTY, true);
  }

  reset(code: number): void {
    this.owner.resetStream(this, code);
  }

  /** Stops (or resumes) returning window for received data, so that the peer stops sending. */
  pause(): void {
    this.owner.setPaused(this, true);
  }
  resume(): void {
    this.owner.setPaused(this, false);
  }
}

const EMPTY = new Uint8Array(0);
