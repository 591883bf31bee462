// HTTP/2 frames by hand, for tests that must send what a well-behaved client
// never sends and see exactly what comes back. Header blocks are encoded and
// decoded with hpack.js, an implementation independent of ours.
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);
const hpack = require('hpack.js');

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const T = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const F = { END_STREAM: 1, ACK: 1, END_HEADERS: 4, PADDED: 8, PRIORITY: 0x20 } as const;
export const E = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 11,
} as const;

export function frame(type: number, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream >>> 0, 5);
  return Buffer.concat([h, payload]);
}

export function settings(pairs: [number, number][] = [], ack = false): Buffer {
  const p = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v >>> 0, i * 6 + 2);
  });
  return frame(T.SETTINGS, ack ? F.ACK : 0, 0, p);
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function goaway(last: number, code: number, debug = ''): Buffer {
  return frame(T.GOAWAY, 0, 0, Buffer.concat([u32(last), u32(code), Buffer.from(debug)]));
}

/** A gRPC length-prefixed message. */
export function grpcMessage(payload: Uint8Array): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
  /** Decoded header fields for HEADERS (with their CONTINUATIONs). */
  headers?: Record<string, string>;
}

/** Header block encoding with its own dynamic table (one per connection). */
export class HeaderEncoder {
  private readonly c = hpack.compressor.create({ table: { maxSize: 4096 } });
  encode(fields: [string, string][], huffman = false): Buffer {
    this.c.write(fields.map(([name, value]) => ({ name, value, huffman })));
    const parts: Buffer[] = [];
    let chunk: Buffer | null;
    while ((chunk = this.c.read())) parts.push(chunk);
    return Buffer.concat(parts);
  }
}

export function requestFields(path: string, extra: [string, string][] = [], authority = 'localhost'): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ];
}

/** Splits bytes into frames and decodes header blocks, keeping the decoder's table across calls. */
export class FrameReader {
  private buf = Buffer.alloc(0);
  private readonly d = hpack.decompressor.create({ table: { maxSize: 4096 } });
  private block: { stream: number; flags: number; parts: Buffer[] } | undefined;
  /** Set when the peer's bytes stopped making sense as frames (a test failure, not a server error). */
  broken = false;

  push(bytes: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, bytes]);
    const out: Frame[] = [];
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const f: Frame = { type: this.buf[3]!, flags: this.buf[4]!, stream: this.buf.readUInt32BE(5) & 0x7fffffff, payload: this.buf.subarray(9, 9 + len) };
      this.buf = this.buf.subarray(9 + len);
      if (f.type === T.HEADERS || f.type === T.CONTINUATION) {
        if (f.type === T.HEADERS) this.block = { stream: f.stream, flags: f.flags, parts: [] };
        if (!this.block) {
          this.broken = true;
          continue;
        }
        this.block.parts.push(f.type === T.HEADERS ? headerPayload(f) : f.payload);
        if (!(f.flags & F.END_HEADERS)) continue;
        try {
          this.d.write(Buffer.concat(this.block.parts));
          this.d.execute();
        } catch {
          this.broken = true;
        }
        const headers: Record<string, string> = {};
        let h: { name: string; value: string } | null;
        while ((h = this.d.read())) headers[h.name] = h.value;
        out.push({ type: T.HEADERS, flags: this.block.flags | F.END_HEADERS, stream: this.block.stream, payload: f.payload, headers });
        this.block = undefined;
        continue;
      }
      out.push(f);
    }
    return out;
  }
}

function headerPayload(f: Frame): Buffer {
  let p = f.payload;
  let pad = 0;
  if (f.flags & F.PADDED) {
    pad = p[0]!;
    p = p.subarray(1);
  }
  if (f.flags & F.PRIORITY) p = p.subarray(5);
  return p.subarray(0, p.length - pad);
}

/** GOAWAY's last stream id, code and debug text. */
export function goawayOf(f: Frame): { last: number; code: number; debug: string } {
  return { last: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString() };
}

/** A raw HTTP/2 client connection over TCP that records every frame it receives. */
export class RawH2Client {
  readonly frames: Frame[] = [];
  readonly enc = new HeaderEncoder();
  private readonly reader = new FrameReader();
  private readonly socket: net.Socket;
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.frames.push(...this.reader.push(d));
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  /** Connects, sends the preface and SETTINGS (then ACKs the server's). */
  static async connect(port: number, clientSettings: [number, number][] = []): Promise<RawH2Client> {
    const c = new RawH2Client(port);
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', resolve);
      c.socket.once('error', reject);
    });
    c.send(PREFACE, settings(clientSettings));
    await c.until((f) => f.type === T.SETTINGS && !(f.flags & F.ACK));
    c.send(settings([], true));
    return c;
  }

  send(...bytes: Buffer[]): void {
    this.socket.write(Buffer.concat(bytes));
  }

  /** HEADERS (one frame, END_HEADERS) for a request. */
  headers(stream: number, fields: [string, string][], endStream = false): Buffer {
    return frame(T.HEADERS, F.END_HEADERS | (endStream ? F.END_STREAM : 0), stream, this.enc.encode(fields));
  }

  /** Waits for a received frame matching `pred` (searching from `from`); rejects after `ms`. */
  async until(pred: (f: Frame) => boolean, ms = 5000, from = 0): Promise<Frame> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.frames.slice(from).find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error(`connection closed before the expected frame; got ${describe(this.frames)}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no expected frame within ${ms} ms; got ${describe(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes the connection; rejects after `ms`. */
  async untilClosed(ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`connection still open after ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames of one stream, in order. */
  of(stream: number): Frame[] {
    return this.frames.filter((f) => f.stream === stream);
  }

  /** Bytes written but not yet taken by the server (the kernel's buffers are full). */
  get unsent(): number {
    return this.socket.writableLength;
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

const NAMES = ['DATA', 'HEADERS', 'PRIORITY', 'RST_STREAM', 'SETTINGS', 'PUSH_PROMISE', 'PING', 'GOAWAY', 'WINDOW_UPDATE', 'CONTINUATION'];
export function describe(frames: Frame[]): string {
  return frames
    .map((f) => {
      let extra = '';
      if (f.type === T.RST_STREAM) extra = `code=${f.payload.readUInt32BE(0)}`;
      if (f.type === T.GOAWAY) extra = JSON.stringify(goawayOf(f));
      if (f.headers) extra = JSON.stringify(f.headers);
      return `${NAMES[f.type] ?? f.type}(s=${f.stream},f=${f.flags}${extra ? ',' + extra : ''})`;
    })
    .join(' ');
}
