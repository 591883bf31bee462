// Byte-level clients for bad-input tests: a raw TCP exchange and a hand-built
// gRPC call over node:http2, for requests a well-behaved client never sends.
import { connect as tcpConnect } from 'node:net';
import { connect as h2Connect } from 'node:http2';

export interface RawExchange {
  /** The server closed (FIN or RST) before the wait ended. */
  closedByServer: boolean;
  response: Buffer;
}

/** Writes `bytes`, collects what comes back until the server closes or `waitMs` passes, then disconnects. */
export function rawExchange(port: number, bytes: Buffer, waitMs: number, stopWhen?: (received: Buffer) => boolean): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closedByServer, response: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (stopWhen?.(Buffer.concat(chunks))) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** An HTTP/2 frame header: 24-bit length, type, flags, 31-bit stream id. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(length, 0, 3);
  h.writeUInt8(type, 3);
  h.writeUInt8(flags, 4);
  h.writeUInt32BE(streamId & 0x7fffffff, 5);
  return h;
}

/** A gRPC length-prefixed message: compressed flag, 32-bit length, payload. */
export function grpcFrame(payload: Buffer, declaredLength = payload.length, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([prefix, payload]);
}

export interface RawGrpcOutcome {
  /** grpc-status from trailers (or trailers-only headers); undefined if the stream ended without one. */
  status: number | undefined;
  message: string | undefined;
  timedOut: boolean;
}

/**
 * Sends `body` as the request stream of `path`. With `endStream` the request is
 * half-closed and the server's status is awaited; without it the whole
 * connection is torn down right after writing, as a crashing client would.
 */
export function rawGrpcCall(endpoint: string, path: string, body: Buffer, endStream: boolean, waitMs = 5000): Promise<RawGrpcOutcome> {
  return new Promise((resolve) => {
    const session = h2Connect(endpoint);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => {});
    let fields: Record<string, unknown> = {};
    stream.on('response', (h) => (fields = { ...fields, ...h }));
    stream.on('trailers', (t) => (fields = { ...fields, ...t }));
    stream.resume();
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      const s = fields['grpc-status'];
      const m = fields['grpc-message'];
      resolve({
        status: s === undefined ? undefined : Number(s),
        message: typeof m === 'string' ? decodeURIComponent(m) : undefined,
        timedOut,
      });
    };
    const timer = setTimeout(() => finish(true), waitMs);
    stream.on('close', () => finish(false));
    if (endStream) {
      stream.end(body);
    } else {
      // let the frames reach the server before the connection disappears
      stream.write(body, () => setTimeout(() => finish(false), 100));
    }
  });
}
