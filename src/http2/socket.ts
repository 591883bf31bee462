// The edge between a ServerConnection and its socket (TCP or TLS): bytes read
// go in, queued bytes go out in one corked write per turn, and the socket's
// backpressure reaches the streams (their data waits while the socket is full,
// and a peer that floods us with frames needing answers while not reading
// stops being read).
import type { Duplex } from 'node:stream';
import { ServerConnection, type ConnectionOptions } from './connection.js';
import type { Stream } from './stream.js';

/** Past this many bytes waiting in the socket, stop reading from the peer until it drains. */
const READ_PAUSE_BYTES = 1 << 20;
/** Output rounds per flush before other work gets a turn. */
const MAX_FLUSH_ROUNDS = 16;
/** How long a finished connection's last bytes may take to leave before the socket is cut. */
const END_TIMEOUT_MS = 10_000;

export interface SessionHandler {
  onStream(stream: Stream, session: Http2Session): void;
  /** The session ended (socket closed); optional. */
  onClose?(session: Http2Session): void;
  onError?(err: unknown, session: Http2Session): void;
}

export class Http2Session {
  readonly conn: ServerConnection;
  private flushQueued = false;
  private ending = false;
  private readPaused = false;
  private readonly flushNow = () => this.flush();

  constructor(
    readonly socket: Duplex,
    handler: SessionHandler,
    opts: ConnectionOptions = {},
    /** Bytes already read from the socket (e.g. the preface a protocol sniffer saw). */
    head?: Buffer,
  ) {
    this.conn = new ServerConnection(
      {
        onStream: (stream) => handler.onStream(stream, this),
        onOutput: () => this.scheduleFlush(),
        onClose: () => this.end(),
        onError: (err) => handler.onError?.(err, this),
      },
      opts,
    );
    socket.on('data', (chunk: Buffer) => {
      this.conn.receive(chunk);
      this.flush();
    });
    socket.on('drain', () => {
      if (this.readPaused) {
        this.readPaused = false;
        socket.resume();
      }
      this.conn.setWritable(true);
      this.flush();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.conn.destroy();
      handler.onClose?.(this);
    });
    this.flush();
    if (head !== undefined && head.length > 0) {
      this.conn.receive(head);
      this.flush();
    }
    socket.resume();
  }

  /** Graceful close: GOAWAY, serve the open streams, then close the socket. */
  goAway(): void {
    this.conn.goAway();
    this.flush();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After the current microtasks: responses completed in one batch of promise
    // reactions leave in one write.
    process.nextTick(this.flushNow);
  }

  private flush(): void {
    this.flushQueued = false;
    const socket = this.socket;
    // Taking output lets streams waiting for room queue more: keep going while the socket takes it.
    for (let round = 0; round < MAX_FLUSH_ROUNDS; round++) {
      const segs = this.conn.takeOutput();
      if (segs.length === 0 || socket.destroyed || !socket.writable) break;
      if (segs.length === 1) {
        socket.write(segs[0]!);
      } else {
        socket.cork();
        for (const seg of segs) socket.write(seg);
        socket.uncork();
      }
      // The kernel did not take it all: hold response data back until 'drain'.
      if (socket.writableLength >= socket.writableHighWaterMark) {
        this.conn.setWritable(false);
        if (socket.writableLength > READ_PAUSE_BYTES && !this.readPaused) {
          this.readPaused = true;
          socket.pause();
        }
        break;
      }
      if (round === MAX_FLUSH_ROUNDS - 1 && this.conn.outputLength > 0 && !this.flushQueued) {
        // Let other connections have a turn before writing more.
        this.flushQueued = true;
        setImmediate(this.flushNow);
      }
    }
    if (this.ending) this.finishSocket();
  }

  /** The connection is done: write what is queued, then close. */
  private end(): void {
    this.ending = true;
    this.scheduleFlush();
  }

  private finishSocket(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!socket.writableEnded) {
      socket.end();
      socket.once('finish', () => socket.destroy());
      // A peer that stops reading must not keep the socket forever.
      setTimeout(() => socket.destroy(), END_TIMEOUT_MS).unref();
    }
  }
}
