// Maintenance.Snapshot: the member's backend as a bbolt database, streamed in 32 KiB
// chunks that count down remaining_bytes, then one last message carrying the
// SHA-256 of the database bytes (etcd 3.4's sequence; clients append it to the file
// and `snapshot restore` checks it).
import { createHash } from 'node:crypto';
import type { ServerWritable } from '../grpc/types.js';
import type { MaintenancePort } from '../port/member-port.js';
import type { Logger } from '../pkg/logger.js';
import { fileChunks } from '../bolt/backend-snapshot.js';
import { credentialsOf } from './credentials.js';
import { drained } from './drained.js';

export interface SnapshotResponse {
  remainingBytes: number;
  blob: Uint8Array;
  /** etcd 3.6: the storage version of the member that took the snapshot, on every message. */
  version?: string;
}

/** etcd's snapshotSendBufferSize: a multiple of the page size. */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

export async function sendSnapshot(p: MaintenancePort, stream: ServerWritable<SnapshotResponse>, logger: Logger): Promise<void> {
  const file = await p.snapshot(credentialsOf(stream), stream.signal);
  try {
    const total = file.size;
    const started = Date.now();
    logger.info('sending database snapshot to client', { 'total-bytes': total });
    const sha = createHash('sha256');
    let sent = 0;
    for await (const chunk of fileChunks(file.path, total, SNAPSHOT_CHUNK_BYTES)) {
      if (stream.ended) return;
      sent += chunk.length;
      sha.update(chunk);
      if (!stream.write({ remainingBytes: total - sent, blob: chunk, version: file.version })) await drained(stream);
    }
    if (stream.ended) return;
    const digest = sha.digest();
    logger.info('sending database sha256 checksum to client', { 'total-bytes': total, 'checksum-size': digest.length });
    stream.write({ remainingBytes: 0, blob: digest, version: file.version });
    logger.info('successfully sent database snapshot to client', { 'total-bytes': total, took: `${Date.now() - started}ms` });
  } finally {
    file.release();
  }
}
