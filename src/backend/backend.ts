// The backend holds the applied state in named buckets, committed in batches the
// way etcd commits bbolt: writes go into the current batch, reads see that batch
// (read-your-writes), and commit() makes the whole batch durable atomically.

export const BUCKETS = [
  'key',
  'meta',
  'lease',
  'auth',
  'authUsers',
  'authRoles',
  'members',
  'members_removed',
  'alarm',
  'cluster',
] as const;

export type BucketName = (typeof BUCKETS)[number];

/** A point-in-time read-only view of committed data; later commits do not show through it. */
export interface BackendView {
  /** Ascending entries with start <= key < end (start omitted: from the bucket's start; end omitted: to its end). */
  range(bucket: BucketName, start?: Uint8Array, end?: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]>;
  /** Releases the view; ranging over it afterwards is an error. */
  close(): void;
}

export interface Backend {
  /** The value under key, seeing uncommitted writes of the current batch. */
  get(bucket: BucketName, key: Uint8Array): Uint8Array | undefined;
  put(bucket: BucketName, key: Uint8Array, value: Uint8Array): void;
  delete(bucket: BucketName, key: Uint8Array): void;
  /** Ascending entries with start <= key < end (end omitted: to the bucket's end), uncommitted writes included. */
  range(bucket: BucketName, start: Uint8Array, end?: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]>;
  /** Writes (puts and deletes) in the batch not yet handed to commit(). */
  pendingWrites(): number;
  /** Makes every write issued so far durable as one atomic unit; commits complete in call order. */
  commit(): Promise<void>;
  /** Bytes the backend occupies on its medium. */
  size(): number;
  /** Bytes actually holding data (size() minus free pages). */
  sizeInUse(): number;
  /**
   * Rewrites the backend without its free pages, returning them to the file system.
   * Reads and writes keep working meanwhile; commits issued during it complete after it.
   */
  defrag(): Promise<void>;
  /**
   * Commits the current batch, then opens a view of everything committed at that
   * point (etcd's backend.Snapshot): writes and commits go on while it is open.
   */
  snapshotView(): Promise<BackendView>;
  close(): Promise<void>;
}
