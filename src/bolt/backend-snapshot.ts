// A backend view written out as the bbolt database etcd would have: same buckets,
// same keys and values. Built into a file with positional writes (the metas come
// last), a bounded amount at a time, so the event loop keeps serving meanwhile.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BUCKETS, type BackendView } from '../backend/backend.js';
import { BoltWriter, type BoltSummary, type PageSink } from './writer.js';

export interface BackendSnapshotOptions {
  /** Entries written between two yields to the event loop. */
  entriesPerTurn?: number;
  /** Stops the build between two turns (the file is left partial); the promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Snapshots are built in scratch directories of this name under the data dir. */
export const SNAPSHOT_TMP_PREFIX = 'snapshot-tmp-';

export interface SnapshotScratch {
  /** Where the database file goes. */
  path: string;
  remove(): void;
}

/** A fresh scratch directory under `parent` (a real disk: os.tmpdir() may be memory-backed). */
export function snapshotScratch(parent: string): SnapshotScratch {
  const dir = mkdtempSync(join(parent, SNAPSHOT_TMP_PREFIX));
  return { path: join(dir, 'db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Removes scratch directories a crashed member left half-built in `dataDir`. */
export function removeSnapshotLeftovers(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  const stale = readdirSync(dataDir).filter((n) => n.startsWith(SNAPSHOT_TMP_PREFIX));
  for (const n of stale) rmSync(join(dataDir, n), { recursive: true, force: true });
  return stale;
}

const DEFAULT_ENTRIES_PER_TURN = 4096;
const COALESCE_BYTES = 1 << 20;

/** Writes every bucket of `view` into a new bbolt file at `path`; resolves with its layout. */
export async function writeBackendSnapshot(view: BackendView, path: string, opts: BackendSnapshotOptions = {}): Promise<BoltSummary> {
  const perTurn = opts.entriesPerTurn ?? DEFAULT_ENTRIES_PER_TURN;
  const fd = openSync(path, 'w', 0o600);
  try {
    const sink = coalescingSink(fd);
    const w = new BoltWriter(sink.write);
    let n = 0;
    for (const bucket of BUCKETS) {
      w.beginBucket(Buffer.from(bucket));
      for (const [k, v] of view.range(bucket)) {
        w.put(k, v);
        if (++n % perTurn === 0) {
          await nextTurn();
          opts.signal?.throwIfAborted();
        }
      }
    }
    const summary = w.finish();
    sink.flush();
    return summary;
  } finally {
    closeSync(fd);
  }
}

/** Leaf pages arrive in file order: gather neighbours into few large writes. */
function coalescingSink(fd: number): { write: PageSink; flush(): void } {
  const buf = Buffer.allocUnsafe(COALESCE_BYTES);
  let start = 0;
  let len = 0;
  const flush = () => {
    if (len > 0) writeAll(fd, buf.subarray(0, len), start);
    len = 0;
  };
  const write: PageSink = (bytes, offset) => {
    if (len > 0 && (offset !== start + len || len + bytes.length > buf.length)) flush();
    if (bytes.length > buf.length) {
      writeAll(fd, bytes, offset);
      return;
    }
    if (len === 0) start = offset;
    buf.set(bytes, len);
    len += bytes.length;
  };
  return { write, flush };
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The first `size` bytes of a built database file, a chunk at a time (each a fresh buffer the caller may keep). */
export async function* fileChunks(path: string, size: number, chunkBytes: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    for (let off = 0; off < size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, size - off));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, off);
      if (bytesRead !== chunk.length) throw new Error(`snapshot: short read at ${off} of ${size} bytes`);
      off += bytesRead;
      yield chunk;
    }
  } finally {
    await fh.close();
  }
}
