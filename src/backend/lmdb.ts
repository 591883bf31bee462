// The durable backend: one LMDB environment with one sub-database per bucket.
// Writes collect in a WriteBuffer; commit() writes the buffer in a single LMDB write
// transaction, so a crash leaves either the whole batch or none of it. A batch being
// committed stays readable as an overlay until LMDB has made it visible.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BUCKETS, type Backend, type BucketName } from './backend.js';
import { mergeLayers, WriteBuffer } from './write-buffer.js';

export interface LmdbBackendOptions {
  /** Upper bound of the memory map in bytes (LMDB grows the file up to it). */
  mapSize?: number;
}

type BinaryDb = Database<Buffer, Buffer>;

export class LmdbBackend implements Backend {
  private readonly dbs = new Map<BucketName, BinaryDb>();
  private batch = new WriteBuffer();
  /** Batches handed to commit() and not yet visible in LMDB, newest first. */
  private inflight: WriteBuffer[] = [];
  private lastCommit: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly env: RootDatabase<Buffer, Buffer>,
  ) {
    for (const name of BUCKETS) {
      this.dbs.set(name, env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }) as BinaryDb);
    }
  }

  static open(path: string, opts: LmdbBackendOptions = {}): LmdbBackend {
    const env = open<Buffer, Buffer>({
      path,
      keyEncoding: 'binary',
      encoding: 'binary',
      maxDbs: BUCKETS.length + 2,
      mapSize: opts.mapSize ?? 8 * 1024 ** 3,
      // Batches are committed explicitly; no implicit event-turn batching.
      cache: false,
    });
    return new LmdbBackend(path, env);
  }

  get(bucket: BucketName, key: Uint8Array): Uint8Array | undefined {
    let v = this.batch.get(bucket, key);
    for (let i = 0; v === undefined && i < this.inflight.length; i++) v = this.inflight[i].get(bucket, key);
    if (v !== undefined) return v === null ? undefined : v;
    return this.db(bucket).get(asBuffer(key));
  }

  put(bucket: BucketName, key: Uint8Array, value: Uint8Array): void {
    this.assertOpen();
    this.batch.put(bucket, key, value);
  }

  delete(bucket: BucketName, key: Uint8Array): void {
    this.assertOpen();
    this.batch.put(bucket, key, null);
  }

  range(bucket: BucketName, start: Uint8Array, end?: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    const opts = end === undefined ? { start: asBuffer(start) } : { start: asBuffer(start), end: asBuffer(end) };
    const committed = (function* (db: BinaryDb) {
      for (const { key, value } of db.getRange(opts)) yield [key, value] as [Uint8Array, Uint8Array];
    })(this.db(bucket));
    return mergeLayers([this.batch, ...this.inflight], bucket, start, end, committed);
  }

  pendingWrites(): number {
    return this.batch.writes;
  }

  commit(): Promise<void> {
    this.assertOpen();
    const batch = this.batch;
    if (batch.isEmpty()) return this.lastCommit;
    this.batch = new WriteBuffer();
    this.inflight.unshift(batch);
    const prev = this.lastCommit;
    const done = (async () => {
      await prev;
      await this.env.transaction(() => {
        for (const [name, writes] of batch.buckets) {
          const db = this.db(name);
          for (const w of writes.values()) {
            if (w.value === null) db.remove(asBuffer(w.key));
            else db.put(asBuffer(w.key), asBuffer(w.value));
          }
        }
      });
      await this.env.flushed;
    })().finally(() => {
      const i = this.inflight.indexOf(batch);
      if (i >= 0) this.inflight.splice(i, 1);
    });
    this.lastCommit = done;
    return done;
  }

  size(): number {
    try {
      return statSync(join(this.path, 'data.mdb')).size;
    } catch {
      return 0;
    }
  }

  sizeInUse(): number {
    // Pages reachable from the trees; freed pages stay in the file but are reusable.
    type TreeStats = { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    const pages = (s: TreeStats) => s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
    const root = this.env.getStats() as TreeStats & { root?: TreeStats; free?: TreeStats };
    let n = pages(root.root ?? root) + (root.free ? pages(root.free) : 0);
    for (const db of this.dbs.values()) n += pages(db.getStats() as TreeStats);
    return n * root.pageSize;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.lastCommit.catch(() => undefined);
    this.closed = true;
    await this.env.close();
  }

  private db(bucket: BucketName): BinaryDb {
    const db = this.dbs.get(bucket);
    if (db === undefined) throw new Error(`backend: unknown bucket ${bucket}`);
    return db;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('backend: closed');
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
