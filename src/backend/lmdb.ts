// The durable backend: one LMDB environment with one sub-database per bucket.
// Writes collect in a WriteBuffer; commit() writes the buffer in a single LMDB write
// transaction, so a crash leaves either the whole batch or none of it. A batch being
// committed stays readable as an overlay until LMDB has made it visible.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BUCKETS, type Backend, type BackendView, type BucketName } from './backend.js';
import { mergeLayers, WriteBuffer } from './write-buffer.js';
import { failpointsOn, failpointAsync } from '../pkg/failpoint.js';

export interface LmdbBackendOptions {
  /** Upper bound of the memory map in bytes (LMDB grows the file up to it). */
  mapSize?: number;
}

type BinaryDb = Database<Buffer, Buffer>;

export class LmdbBackend implements Backend {
  private dbs: Map<BucketName, BinaryDb>;
  private batch = new WriteBuffer();
  /** Batches handed to commit() and not yet visible in LMDB, newest first. */
  private inflight: WriteBuffer[] = [];
  private lastCommit: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * The directory whose lock file the open environment uses: the backend's own, or
   * after a defrag the one the compacted copy was written to (its data file has
   * since been moved into the backend's directory).
   */
  private envDir: string;
  private defrags = 0;
  /** Snapshot views not yet closed, with the environment they read. */
  private readonly views = new Set<{ env: RootDatabase<Buffer, Buffer>; closed: Promise<void> }>();
  /** Environments replaced by a defrag, closing once the views still reading them close. */
  private retiring: Promise<void>[] = [];
  /** The data file's size, -1 when it must be read again (the quota asks on every write). */
  private cachedSize = -1;

  private constructor(
    readonly path: string,
    private env: RootDatabase<Buffer, Buffer>,
    private readonly mapSize: number,
  ) {
    this.envDir = path;
    this.dbs = openBuckets(env);
  }

  static open(path: string, opts: LmdbBackendOptions = {}): LmdbBackend {
    removeDefragLeftovers(path);
    const mapSize = opts.mapSize ?? 8 * 1024 ** 3;
    return new LmdbBackend(path, openEnv(path, mapSize), mapSize);
  }

  /**
   * Copies the environment with LMDB's compacting copy into a fresh directory, opens
   * the copy and switches reads to it, then moves its data file over the old one (an
   * atomic rename: a crash leaves either file whole). Commits issued meanwhile queue
   * behind it and stay readable from the write overlay, so nothing stops serving.
   */
  defrag(): Promise<void> {
    this.assertOpen();
    void this.commit();
    const prev = this.lastCommit;
    const done = (async () => {
      await prev;
      // No dot in the name: lmdb-js takes a path with an extension for a single file.
      const dir = `${this.path}-defrag-${++this.defrags}`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      try {
        if (failpointsOn) await failpointAsync('defragBeforeCopy');
        await this.env.backup(dir, true);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      const old = this.env;
      const oldDir = this.envDir;
      this.env = openEnv(dir, this.mapSize);
      this.dbs = openBuckets(this.env);
      this.envDir = dir;
      const retire = async () => {
        await old.close();
        if (oldDir !== this.path) rmSync(oldDir, { recursive: true, force: true });
      };
      if (failpointsOn) await failpointAsync('defragBeforeRename');
      const pinned = [...this.views].filter((v) => v.env === old).map((v) => v.closed);
      if (pinned.length === 0) {
        await retire();
        renameSync(join(dir, 'data.mdb'), join(this.path, 'data.mdb'));
      } else {
        // Open snapshot views still read the old environment: it closes after them. The
        // rename only swaps the directory entry; their mapping keeps the old file.
        renameSync(join(dir, 'data.mdb'), join(this.path, 'data.mdb'));
        this.retiring.push(Promise.all(pinned).then(retire));
      }
      this.cachedSize = -1;
    })();
    // A failed defrag leaves the old environment serving; later commits go on.
    this.lastCommit = done.catch(() => undefined);
    return done;
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
      if (failpointsOn) await failpointAsync('beforeCommit');
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
      if (failpointsOn) await failpointAsync('afterCommit');
    })()
      .then(() => {
        // Only a commit that succeeded leaves the overlay: a failed batch stays readable,
        // so nothing applied vanishes from reads while the member stops. Every later
        // commit fails too (it awaits this one).
        const i = this.inflight.indexOf(batch);
        if (i >= 0) this.inflight.splice(i, 1);
      })
      .finally(() => {
        this.cachedSize = -1;
      });
    this.lastCommit = done;
    return done;
  }

  async snapshotView(): Promise<BackendView> {
    this.assertOpen();
    await this.commit();
    this.assertOpen();
    // An LMDB read transaction sees the last committed state for as long as it lives.
    const txn = this.env.useReadTransaction();
    const dbs = this.dbs;
    let open = true;
    let release!: () => void;
    const entry = { env: this.env, closed: new Promise<void>((r) => (release = r)) };
    this.views.add(entry);
    const views = this.views;
    return {
      range(bucket, start, end) {
        if (!open) throw new Error('backend: snapshot view closed');
        const db = dbs.get(bucket);
        if (db === undefined) throw new Error(`backend: unknown bucket ${bucket}`);
        const opts = { transaction: txn, ...(start === undefined ? {} : { start: asBuffer(start) }), ...(end === undefined ? {} : { end: asBuffer(end) }) };
        return (function* () {
          for (const { key, value } of db.getRange(opts)) yield [key, value] as [Uint8Array, Uint8Array];
        })();
      },
      close() {
        if (!open) return;
        open = false;
        txn.done();
        views.delete(entry);
        release();
      },
    };
  }

  /** The file only changes size when a batch is written or a defrag swaps it: cached until then. */
  size(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    try {
      this.cachedSize = statSync(join(this.path, 'data.mdb')).size;
    } catch {
      return 0;
    }
    return this.cachedSize;
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
    await Promise.all(this.retiring);
    await this.env.close();
    if (this.envDir !== this.path) rmSync(this.envDir, { recursive: true, force: true });
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

function openEnv(path: string, mapSize: number): RootDatabase<Buffer, Buffer> {
  return open<Buffer, Buffer>({
    path,
    keyEncoding: 'binary',
    encoding: 'binary',
    maxDbs: BUCKETS.length + 2,
    mapSize,
    // Batches are committed explicitly; no implicit event-turn batching.
    cache: false,
  });
}

function openBuckets(env: RootDatabase<Buffer, Buffer>): Map<BucketName, BinaryDb> {
  const dbs = new Map<BucketName, BinaryDb>();
  for (const name of BUCKETS) dbs.set(name, env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }) as BinaryDb);
  return dbs;
}

/** A defrag's directory outlives it only by a crash; the data file in path is authoritative. */
function removeDefragLeftovers(path: string): void {
  const parent = dirname(path);
  const prefix = `${basename(path)}-defrag-`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) rmSync(join(parent, n), { recursive: true, force: true });
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
