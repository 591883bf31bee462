// etcd-ts started on an etcd member's data dir takes that member over in place: same
// member and cluster IDs, the database as etcd applied it, the WAL's tail after it
// replayed on start. etcd's own files are read, never written: etcd-ts keeps its state
// beside them, in <data-dir>/member/etcd-ts (an etcd-ts data dir, which etcd does not
// look at), so the member can be handed back (etcdutl-ts hand-back writes etcd's files
// anew from it). A dir that does not check out whole is refused before anything is
// written, the error naming the file.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoltFile } from '../bolt/reader.js';
import { BUCKETS, type BucketName } from '../backend/backend.js';
import { LmdbBackend } from '../backend/lmdb.js';
import type { Logger } from '../pkg/logger.js';
import { metadataCodec } from '../server/storage.js';
import { Wal } from '../wal/index.js';
import { EtcdDataDirError } from './errors.js';
import { listEtcdSegments, syncPath } from './etcd-wal.js';
import { etcdPaths, inspectEtcdDataDir, isEtcdDataDir, type EtcdMemberState, type EtcdPaths } from './inspect.js';

/** etcd-ts's own data dir for a member taken over from etcd, under etcd's member dir. */
export const TAKEOVER_STORE = 'etcd-ts';
/** What etcd's files looked like when they were taken over, to notice etcd writing to them since. */
const MARKER = 'takeover.json';
/** Writes per backend commit while copying: bounds the batch held in memory. */
const COPY_BATCH = 50_000;

export function takeoverStore(dataDir: string): string {
  return join(dataDir, 'member', TAKEOVER_STORE);
}

interface Fingerprint {
  segments: string[];
  lastSegment: { size: number; mtimeMs: number };
  db: { size: number; mtimeMs: number };
}

function fingerprint(p: EtcdPaths): Fingerprint {
  const segs = listEtcdSegments(p.walDir).map((s) => s.name);
  const last = segs.length ? statSync(join(p.walDir, segs[segs.length - 1]!)) : undefined;
  const db = existsSync(p.db) ? statSync(p.db) : undefined;
  return {
    segments: segs,
    lastSegment: { size: last?.size ?? 0, mtimeMs: last?.mtimeMs ?? 0 },
    db: { size: db?.size ?? 0, mtimeMs: db?.mtimeMs ?? 0 },
  };
}

export interface DataDirChoice {
  /** The etcd-ts data dir to run on. */
  dataDir: string;
  /** --wal-dir for it (absent: inside dataDir). */
  walDir?: string;
}

/**
 * Where etcd-ts keeps the member of `dataDir`: the dir itself, unless it holds an etcd
 * member's files, which are then taken over (first start) or were taken over before.
 */
export async function takeOverEtcdDataDir(dataDir: string, walDir: string | undefined, logger: Logger): Promise<DataDirChoice> {
  const paths = etcdPaths(dataDir, walDir);
  const store = takeoverStore(dataDir);
  for (const half of [join(dataDir, 'member.hand-back'), join(dataDir, 'member.etcd-ts-old')]) {
    // Starting now could find no member at all and bootstrap a new one.
    if (existsSync(half)) throw new EtcdDataDirError(half, 'a hand-back to etcd was stopped midway: run "etcdutl-ts hand-back" again to finish it');
  }
  if (Wal.exists(join(store, 'member', 'wal'))) {
    checkUntouched(paths, store);
    logger.info('serving the etcd member taken over earlier from its etcd-ts files', { 'data-dir': dataDir, 'etcd-ts-data-dir': store });
    return { dataDir: store };
  }
  if (!isEtcdDataDir(paths)) return { dataDir, walDir };

  const state = inspectEtcdDataDir(paths);
  logger.info('taking over an etcd member: its data dir checked out whole', {
    'data-dir': dataDir,
    'wal-dir': paths.walDir,
    'member-id': state.memberId.toString(16),
    'cluster-id': state.clusterId.toString(16),
    'wal-segments': state.walSegments.length,
    'wal-snapshot-index': state.walSnapshot.index,
    'consistent-index': state.consistentIndex,
    'wal-entries-to-replay': state.tail.length,
    commit: state.hardState.commit,
    database: state.db,
  });
  const skipped = await writeStore(store, state, fingerprint(paths));
  logger.info('took over the etcd member: etcd\'s files are left as they were; etcd-ts keeps the member in its own files from now on (hand it back with "etcdutl-ts hand-back")', {
    'etcd-ts-data-dir': store,
    keys: state.keys,
    'skipped-buckets': skipped,
  });
  if (walDir) logger.warn('--wal-dir holds the etcd WAL taken over; etcd-ts keeps its own WAL inside its data dir', { 'wal-dir': walDir, 'etcd-ts-data-dir': store });
  return { dataDir: store };
}

/** etcd has written to its files since the takeover: the etcd-ts copy is older than they are, and must not serve. */
function checkUntouched(paths: EtcdPaths, store: string): void {
  const markerPath = join(store, MARKER);
  if (!existsSync(markerPath)) return;
  const then = JSON.parse(readFileSync(markerPath, 'utf8')) as Fingerprint;
  const now = fingerprint(paths);
  // etcd's files removed for good (no way back wanted): nothing left that could be newer.
  if (now.segments.length === 0 && !existsSync(paths.db)) return;
  const walMoved = then.segments.join(',') !== now.segments.join(',') || then.lastSegment.size !== now.lastSegment.size || then.lastSegment.mtimeMs !== now.lastSegment.mtimeMs;
  const dbMoved = then.db.size !== now.db.size || then.db.mtimeMs !== now.db.mtimeMs;
  if (walMoved || dbMoved) {
    throw new EtcdDataDirError(walMoved ? paths.walDir : paths.db, `etcd has written to it since etcd-ts took this member over: etcd-ts's copy in ${store} is older; move ${store} away to take the member over again from etcd's files`);
  }
}

/** Builds etcd-ts's data dir for the member in `<store>.tmp`, then renames it into place. */
async function writeStore(store: string, st: EtcdMemberState, fp: Fingerprint): Promise<string[]> {
  const staging = `${store}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const skipped: string[] = [];
  try {
    const snapDir = join(staging, 'member', 'snap');
    mkdirSync(snapDir, { recursive: true, mode: 0o700 });
    const backend = LmdbBackend.open(join(snapDir, 'db'));
    const bolt = BoltFile.openFile(st.db);
    try {
      let n = 0;
      for (const b of bolt.buckets()) {
        const name = Buffer.from(b.key).toString();
        if (!b.isBucket) continue;
        if (!(BUCKETS as readonly string[]).includes(name)) {
          skipped.push(name);
          continue;
        }
        for (const e of bolt.iterate(b)) {
          backend.put(name as BucketName, Buffer.from(e.key), Buffer.from(e.value));
          if (++n % COPY_BATCH === 0) await backend.commit();
        }
      }
      await backend.commit();
    } finally {
      bolt.close();
      await backend.close();
    }
    // The log restarts at the database's applied index: what the database holds is the
    // snapshot, what the WAL holds after it is replayed.
    const wal = await Wal.create(join(staging, 'member', 'wal'), metadataCodec.encode({ NodeID: st.memberId, ClusterID: st.clusterId }));
    try {
      await wal.saveSnapshot({ index: st.consistentIndex, term: st.term });
      await wal.save(st.hardState, st.tail, true);
    } finally {
      await wal.close();
    }
    writeFileSync(join(staging, MARKER), JSON.stringify(fp));
    for (const d of [snapDir, join(staging, 'member'), staging]) syncPath(d);
    renameSync(staging, store);
    syncPath(join(store, '..'));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return skipped;
}
