// Reads an etcd 3.4 member's data dir without changing it, and checks it whole: every
// WAL segment and record (CRC chain), the .snap file the WAL's newest snapshot record
// points at, both bbolt meta pages and every page of the database. What it returns is
// the member's state as etcd would restart it: the database (applied up to its
// consistent index) and the log after that index, to be replayed.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BoltFile } from '../bolt/reader.js';
import { META_CONSISTENT_INDEX } from '../mvcc/meta.js';
import { snapshotDbPath } from '../rafthttp/snapshot-stream.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import { metadataCodec } from '../server/storage.js';
import { EtcdDataDirError } from './errors.js';
import { listEtcdSegments, looksLikeEtcdSegment, readEtcdWal, type EtcdWalSnapshot } from './etcd-wal.js';
import { readEtcdSnap } from './etcd-snap.js';

export interface EtcdPaths {
  memberDir: string;
  walDir: string;
  snapDir: string;
  db: string;
}

export function etcdPaths(dataDir: string, walDir?: string): EtcdPaths {
  const memberDir = join(dataDir, 'member');
  const snapDir = join(memberDir, 'snap');
  return { memberDir, walDir: walDir || join(memberDir, 'wal'), snapDir, db: join(snapDir, 'db') };
}

/**
 * Whether the data dir holds an etcd member's files: its backend is a bbolt file (etcd-ts's
 * is an LMDB directory) or its WAL opens as etcd's does.
 */
export function isEtcdDataDir(p: EtcdPaths): boolean {
  if (existsSync(p.db) && statSync(p.db).isFile()) return true;
  const segs = listEtcdSegments(p.walDir);
  if (segs.length === 0) return false;
  const head = Buffer.alloc(16);
  const fd = openSync(join(p.walDir, segs[0]!.name), 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return looksLikeEtcdSegment(head);
}

export interface EtcdMemberState {
  memberId: bigint;
  clusterId: bigint;
  /** The database to take (member/snap/db, or a leader's snapshot database etcd had not installed yet). */
  db: string;
  /** Keys over every bucket, counted while checking the database. */
  keys: number;
  /** The database's applied index, and the term of the entry there. */
  consistentIndex: number;
  term: number;
  /** The WAL's newest snapshot record, and its .snap file's snapshot (absent at index 0: etcd had not snapshotted yet). */
  walSnapshot: EtcdWalSnapshot;
  snap?: Snapshot;
  /** Entries after the consistent index: replayed when the member starts. */
  tail: Entry[];
  /** The WAL's hard state; its commit is at least the consistent index. */
  hardState: HardState;
  walSegments: string[];
}

function checkDatabase(path: string): { keys: number; consistentIndex: number; members: number } {
  let db: BoltFile;
  try {
    db = BoltFile.openFile(path);
  } catch (err) {
    throw new EtcdDataDirError(path, `not a bbolt database: ${(err as Error).message}`);
  }
  try {
    if (db.invalidMetas.length) throw new EtcdDataDirError(path, `torn bbolt meta page ${db.invalidMetas.join(', ')}: its checksum or magic does not match`);
    if (statSync(path).size < db.size) throw new EtcdDataDirError(path, `truncated bbolt database: ${statSync(path).size} bytes, its meta says ${db.size}`);
    let keys = 0;
    let consistentIndex = 0;
    let members = 0;
    for (const b of db.buckets()) {
      if (!b.isBucket) continue;
      const meta = Buffer.from(b.key).toString() === 'meta';
      const isMembers = Buffer.from(b.key).toString() === 'members';
      for (const e of db.iterate(b)) {
        keys++;
        if (isMembers) members++;
        if (meta && Buffer.from(e.key).equals(META_CONSISTENT_INDEX)) {
          if (e.value.byteLength !== 8) throw new EtcdDataDirError(path, 'consistent_index is not 8 bytes');
          consistentIndex = Number(Buffer.from(e.value).readBigUInt64BE(0));
        }
      }
    }
    // etcd 3.4 keeps the member list in the backend too; the configuration is rebuilt from it.
    if (members === 0) throw new EtcdDataDirError(path, 'holds no members: not a database etcd 3.4 wrote for a member');
    return { keys, consistentIndex, members };
  } catch (err) {
    if (err instanceof EtcdDataDirError) throw err;
    throw new EtcdDataDirError(path, `unreadable bbolt database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * The process holding a lock on `path`, from Linux's /proc/locks (etcd flocks its bbolt
 * file and takes OFD locks, pid -1, on its WAL segments); undefined when none, or where
 * the kernel does not say.
 */
export function lockHolder(path: string): number | undefined {
  let locks: string;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const st = statSync(path);
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  const hex2 = (n: number) => n.toString(16).padStart(2, '0');
  const id = `${hex2(major)}:${hex2(minor)}:${st.ino}`;
  for (const line of locks.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 1234 fe:00:2228531 0 EOF" (a blocked waiter's line has "->" first)
    const at = f.indexOf(id);
    if (at > 0 && f[1] !== '->') return Number(f[at - 1]);
  }
  return undefined;
}

/** Refuses a data dir a running etcd still holds: its files change under the copy. */
function checkNotRunning(p: EtcdPaths, segments: string[]): void {
  for (const file of [p.db, segments[segments.length - 1]!]) {
    if (!existsSync(file)) continue;
    const pid = lockHolder(file);
    if (pid !== undefined) throw new EtcdDataDirError(file, `in use: ${pid > 0 ? `process ${pid}` : 'a running process'} holds a lock on it (stop etcd first)`);
  }
}

/** Checks the whole data dir and returns the member's state; throws EtcdDataDirError naming the file at fault. */
export function inspectEtcdDataDir(p: EtcdPaths): EtcdMemberState {
  const segs = listEtcdSegments(p.walDir).map((s) => join(p.walDir, s.name));
  if (segs.length) checkNotRunning(p, segs);
  const wal = readEtcdWal(p.walDir);
  let md: { NodeID: bigint; ClusterID: bigint };
  try {
    md = metadataCodec.decode(wal.metadata);
  } catch (err) {
    throw new EtcdDataDirError(wal.segments[0]!, `corrupt WAL metadata: ${(err as Error).message}`);
  }
  if (!md.NodeID || !md.ClusterID) throw new EtcdDataDirError(wal.segments[0]!, 'WAL metadata without a member or cluster ID');
  const ws = wal.snapshot;
  const snap = ws.index > 0 ? readEtcdSnap(p.snapDir, ws.index, ws.term) : undefined;

  if (!existsSync(p.db)) throw new EtcdDataDirError(p.db, 'missing: etcd keeps its applied state there');
  let db = p.db;
  let checked = checkDatabase(db);
  if (checked.consistentIndex < ws.index) {
    // etcd recorded a leader's snapshot and stopped before installing its database: it
    // installs <index>.snap.db when it restarts, and so does the takeover.
    const received = snapshotDbPath(p.snapDir, ws.index);
    if (!existsSync(received)) {
      throw new EtcdDataDirError(p.db, `holds index ${checked.consistentIndex}, behind the WAL's snapshot at index ${ws.index}, and ${received} is missing`);
    }
    db = received;
    checked = checkDatabase(db);
    if (checked.consistentIndex < ws.index) throw new EtcdDataDirError(db, `holds index ${checked.consistentIndex}, behind the WAL's snapshot at index ${ws.index}`);
  }
  const ci = checked.consistentIndex;
  const lastIndex = wal.entries.length ? wal.entries[wal.entries.length - 1]!.index : ws.index;
  if (ci > lastIndex) throw new EtcdDataDirError(db, `holds index ${ci}, ahead of the WAL's last entry ${lastIndex}: the WAL is missing entries`);
  const term = ci === ws.index ? ws.term : wal.entries[ci - ws.index - 1]!.term;
  const hardState = { ...wal.hardState, commit: Math.max(wal.hardState.commit, ci) };
  return {
    memberId: md.NodeID,
    clusterId: md.ClusterID,
    db,
    keys: checked.keys,
    consistentIndex: ci,
    term,
    walSnapshot: ws,
    snap,
    tail: wal.entries.filter((e) => e.index > ci),
    hardState,
    walSegments: wal.segments,
  };
}
