// Offline defrag of a stopped member's backend: the compacting copy a running member
// makes on "etcdctl defrag", done on its data dir instead. The member's WAL lock is
// held meanwhile, so a running member is refused and none can start during it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbBackend } from '../backend/lmdb.js';
import { DirLock } from '../wal/lock.js';
import { WalLockedError } from '../wal/errors.js';
import { Wal } from '../wal/index.js';
import { takeoverStore } from '../datadir/takeover.js';

export interface DefragResult {
  dbPath: string;
  /** Bytes of the backend file before and after. */
  sizeBefore: number;
  sizeAfter: number;
}

export async function defragDataDir(given: string): Promise<DefragResult> {
  // A member taken over from etcd keeps its backend in its etcd-ts data dir; etcd's own files are never written.
  const store = takeoverStore(given);
  const dataDir = Wal.exists(join(store, 'member', 'wal')) ? store : given;
  const dbPath = join(dataDir, 'member', 'snap', 'db');
  // Opening an absent backend would create an empty one: a mistyped path must not "succeed".
  if (!existsSync(join(dbPath, 'data.mdb'))) throw new Error(`open ${dbPath}: no such file or directory`);
  const walDir = join(dataDir, 'member', 'wal');
  let lock: DirLock | undefined;
  if (existsSync(walDir)) {
    try {
      lock = DirLock.acquire(walDir);
    } catch (err) {
      if (!(err instanceof WalLockedError)) throw err;
      throw new Error(`the member is running (process ${err.pid} holds ${walDir}); to defrag a running member, omit --data-dir and use "etcdctl defrag"`);
    }
  }
  try {
    const backend = LmdbBackend.open(dbPath);
    try {
      const sizeBefore = backend.size();
      await backend.defrag();
      return { dbPath, sizeBefore, sizeAfter: backend.size() };
    } finally {
      await backend.close();
    }
  } finally {
    lock?.release();
  }
}
