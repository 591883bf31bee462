// etcd 3.6's --bootstrap-defrag-threshold-megabytes: before the member replays its log, the
// backend is defragmented when that would free at least the threshold (bootstrap.go's
// maybeDefragBackend), with the lines etcd's backend logs around a defrag.
import type { Backend } from '../backend/backend.js';
import type { Logger } from '../pkg/logger.js';
import { humanBytes } from '../pkg/humanize.js';
import { formatGoDuration } from '../config/go-values.js';

/** Whether a backend of this size and use is defragmented at start (threshold in bytes). */
export function shouldDefragAtBootstrap(size: number, sizeInUse: number, thresholdBytes: number): boolean {
  return size - sizeInUse >= thresholdBytes;
}

export async function maybeDefragBackend(backend: Backend, path: string, thresholdMegabytes: number, logger: Logger): Promise<void> {
  const thresholdBytes = thresholdMegabytes * 1024 * 1024;
  const size1 = backend.size();
  const inUse1 = backend.sizeInUse();
  if (!shouldDefragAtBootstrap(size1, inUse1, thresholdBytes)) {
    logger.info('Skipping defragmentation', {
      'current-db-size-bytes': size1,
      'current-db-size': humanBytes(size1),
      'current-db-size-in-use-bytes': inUse1,
      'current-db-size-in-use': humanBytes(inUse1),
      'experimental-bootstrap-defrag-threshold-bytes': thresholdBytes,
      'experimental-bootstrap-defrag-threshold': humanBytes(thresholdBytes),
    });
    return;
  }
  logger.info('defragmenting', {
    path,
    'current-db-size-bytes': size1,
    'current-db-size': humanBytes(size1),
    'current-db-size-in-use-bytes': inUse1,
    'current-db-size-in-use': humanBytes(inUse1),
  });
  const started = performance.now();
  await backend.defrag();
  const size2 = backend.size();
  const inUse2 = backend.sizeInUse();
  logger.info('finished defragmenting directory', {
    path,
    'current-db-size-bytes-diff': size2 - size1,
    'current-db-size-bytes': size2,
    'current-db-size': humanBytes(size2),
    'current-db-size-in-use-bytes-diff': inUse2 - inUse1,
    'current-db-size-in-use-bytes': inUse2,
    'current-db-size-in-use': humanBytes(inUse2),
    took: formatGoDuration(performance.now() - started),
  });
}
