// Drives the pure HTTP/2 core with hand-made frames and reads its output as
// frames: no sockets, no timers (the clock is the test's).
import { ServerConnection, type ConnectionOptions } from '../../src/http2/connection.js';
import type { Stream, StreamSink } from '../../src/http2/stream.js';
import { FrameReader, HeaderEncoder, PREFACE, settings, type Frame } from '../helpers/h2-wire.js';

/** A stream as the test application sees it. */
export class TestStream implements StreamSink {
  readonly data: Buffer[] = [];
  ended = false;
  closedWith: number | undefined;
  writable = 0;
  constructor(readonly stream: Stream) {
    stream.sink = this;
  }
  onData(d: Buffer): void {
    this.data.push(Buffer.from(d));
  }
  onEnd(): void {
    this.ended = true;
  }
  onClose(code: number): void {
    this.closedWith = code;
  }
  onWritable(): void {
    this.writable++;
  }
  get body(): Buffer {
    return Buffer.concat(this.data);
  }
}

export class Driver {
  readonly conn: ServerConnection;
  readonly frames: Frame[] = [];
  readonly streams: TestStream[] = [];
  readonly enc = new HeaderEncoder();
  private readonly reader = new FrameReader();
  closed = false;
  outputSignals = 0;
  errors: unknown[] = [];
  clock = 0;

  constructor(opts: ConnectionOptions = {}, onStream?: (s: TestStream) => void) {
    this.conn = new ServerConnection(
      {
        onStream: (stream) => {
          const t = new TestStream(stream);
          this.streams.push(t);
          onStream?.(t);
        },
        onOutput: () => this.outputSignals++,
        onClose: () => (this.closed = true),
        onError: (err) => this.errors.push(err),
      },
      { now: () => this.clock, ...opts },
    );
    this.drain();
  }

  /** Feeds bytes (as one chunk) and collects the output. Returns the new frames. */
  feed(...bytes: Buffer[]): Frame[] {
    this.conn.receive(Buffer.concat(bytes));
    return this.drain();
  }

  drain(): Frame[] {
    const got = this.reader.push(Buffer.concat(this.conn.takeOutput()));
    this.frames.push(...got);
    return got;
  }

  /** Preface and SETTINGS, the server's SETTINGS acknowledged. */
  handshake(clientSettings: [number, number][] = []): Frame[] {
    const got = this.feed(PREFACE, settings(clientSettings), settings([], true));
    this.frames.length = 0;
    return got;
  }
}

/** Echo: the request body back with a 200 and trailers, once the request ends. */
export function echo(t: TestStream): void {
  const s = t.stream;
  const sink = t.onEnd.bind(t);
  t.onEnd = () => {
    sink();
    s.respond([':status', '200', 'content-type', 'application/grpc']);
    if (t.body.length > 0) s.write(t.body);
    s.end(['grpc-status', '0']);
  };
}
