// Back-pressure for server streams: wait for room before writing more.
import type { ServerWritable } from '../grpc/types.js';

/** Resolves once the stream can take more, or is gone. */
export function drained(stream: ServerWritable<unknown>): Promise<void> {
  if (stream.ended) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('cancel', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('cancel', done);
  });
}
