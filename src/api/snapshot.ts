// Maintenance.Snapshot: the member's backend as a bbolt database, streamed in 32 KiB
// chunks that count down remaining_bytes, then one last message carrying the
// SHA-256 of the database bytes (etcd 3.4's sequence; clients append it to the file
// and `snapshot restore` checks it).
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { EtcdServer } from '../server/server.js';
import type { ServerWritable } from '../grpc/types.js';
import { fileChunks, snapshotScratch, writeBackendSnapshot } from '../bolt/backend-snapshot.js';

export interface SnapshotResponse {
  remainingBytes: number;
  blob: Uint8Array;
}

/** etcd's snapshotSendBufferSize: a multiple of the page size. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

export async function sendSnapshot(s: EtcdServer, stream: ServerWritable<SnapshotResponse>): Promise<void> {
  const scratch = snapshotScratch(s.opts.dataDir ?? tmpdir());
  const file = scratch.path;
  try {
    const view = await s.backendSnapshotView();
    let total: number;
    try {
      total = (await writeBackendSnapshot(view, file, { signal: stream.signal })).size;
    } finally {
      view.close();
    }
    const started = Date.now();
    s.logger.info('sending database snapshot to client', { 'total-bytes': total });
    const sha = createHash('sha256');
    let sent = 0;
    for await (const chunk of fileChunks(file, total, SNAPSHOT_CHUNK_BYTES)) {
      if (stream.ended) return;
      sent += chunk.length;
      sha.update(chunk);
      if (!stream.write({ remainingBytes: total - sent, blob: chunk })) await drained(stream);
    }
    if (stream.ended) return;
    const digest = sha.digest();
    s.logger.info('sending database sha256 checksum to client', { 'total-bytes': total, 'checksum-size': digest.length });
    stream.write({ remainingBytes: 0, blob: digest });
    s.logger.info('successfully sent database snapshot to client', { 'total-bytes': total, took: `${Date.now() - started}ms` });
  } finally {
    scratch.remove();
  }
}

/** Resolves once the stream can take more, or is gone. */
function drained(stream: ServerWritable<SnapshotResponse>): Promise<void> {
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
