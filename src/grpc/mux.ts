// One client port for gRPC and plain HTTP, as etcd serves it: the first bytes of
// a connection decide whether it speaks HTTP/2 (prior knowledge) or HTTP/1.x.
import type { Socket } from 'node:net';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type Protocol = 'h2' | 'http1' | 'garbage' | 'more';

/** Longest HTTP/1.x method token we wait for before calling the bytes garbage. */
const MAX_METHOD = 16;

/** Classifies the first bytes of a connection. */
export function classify(buf: Buffer): Protocol {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.compare(H2_PREFACE, 0, n, 0, n) === 0) return buf.length >= H2_PREFACE.length ? 'h2' : 'more';
  for (let i = 0; i < buf.length && i <= MAX_METHOD; i++) {
    const c = buf[i];
    if (c === 0x20) return i > 0 ? 'http1' : 'garbage';
    if (c < 0x41 || c > 0x5a) return 'garbage';
  }
  return buf.length > MAX_METHOD ? 'garbage' : 'more';
}

/**
 * Reads until the protocol is known and hands the socket over with the bytes
 * read so far. Garbage, silence past `timeoutMs` or an early close only ends this
 * connection.
 */
export function sniff(socket: Socket, timeoutMs: number, dispatch: (proto: 'h2' | 'http1', socket: Socket, head: Buffer) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const onError = () => socket.destroy();
  const cleanup = () => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
  };
  const onEnd = () => {
    cleanup();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const proto = classify(seen);
    if (proto === 'more') return;
    cleanup();
    socket.pause();
    if (proto === 'garbage') {
      socket.destroy();
      return;
    }
    socket.removeListener('error', onError);
    dispatch(proto, socket, seen);
  };
  const timer = setTimeout(() => {
    cleanup();
    socket.destroy();
  }, timeoutMs);
  socket.on('error', onError);
  socket.on('data', onData);
  socket.on('end', onEnd);
}
