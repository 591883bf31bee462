// Restores a data dir from a snapshot (etcd's or etcd-ts's: both are bbolt files with
// etcd's buckets) for a new cluster: the applied state is kept, the membership is
// replaced by --initial-cluster, and the Raft log starts over at a snapshot whose
// index is the number of members, so the restored member boots as an existing one.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BoltFile } from '../bolt/reader.js';
import { BUCKETS, type BucketName } from '../backend/backend.js';
import { LmdbBackend } from '../backend/lmdb.js';
import { writeConsistentIndex } from '../mvcc/meta.js';
import { Membership, type Member } from '../membership/index.js';
import { metadataCodec, saveConf } from '../server/storage.js';
import { Wal } from '../wal/index.js';
import { verifySnapshot } from './hash.js';
import { resolveRestoreCluster } from './cluster.js';

export interface RestoreConfig {
  snapshotPath: string;
  name: string;
  /** Must not exist yet. */
  dataDir: string;
  /** Must not exist yet when given; defaults to <dataDir>/member/wal. */
  walDir?: string;
  initialCluster: string;
  initialClusterToken: string;
  peerUrls: string[];
  /** Accept a snapshot without (or with a wrong) SHA-256 trailer, e.g. a db file copied out of a data dir. */
  skipHashCheck: boolean;
}

export interface RestoreResult {
  memberId: bigint;
  clusterId: bigint;
  members: Member[];
  /** Raft index (and consistent index) the restored member starts from: the number of members. */
  index: number;
  /** Key/values copied, over every bucket kept. */
  keys: number;
  /** Buckets of the snapshot that etcd-ts does not know and left out. */
  skippedBuckets: string[];
}

export type RestoreLog = (msg: string, fields: Record<string, unknown>) => void;

/** Replaced by the new membership, as etcd replaces it. */
const MEMBERSHIP_BUCKETS = new Set(['members', 'members_removed']);
/** Writes per backend commit: bounds the memory a large snapshot's copy holds at once. */
const COPY_BATCH = 50_000;

export async function restoreSnapshot(cfg: RestoreConfig, log: RestoreLog = () => {}): Promise<RestoreResult> {
  const cluster = resolveRestoreCluster(cfg);
  if (existsSync(cfg.dataDir)) throw new Error(`data-dir "${cfg.dataDir}" exists`);
  const walDir = cfg.walDir ?? join(cfg.dataDir, 'member', 'wal');
  if (cfg.walDir !== undefined && existsSync(cfg.walDir)) throw new Error(`wal-dir "${cfg.walDir}" exists`);
  const snapDir = join(cfg.dataDir, 'member', 'snap');
  const where = { path: cfg.snapshotPath, 'wal-dir': walDir, 'data-dir': cfg.dataDir, 'snap-dir': snapDir };
  log('restoring snapshot', where);

  // Checked before anything is written: a bad snapshot leaves no half-made data dir behind.
  verifySnapshot(cfg.snapshotPath, cfg.skipHashCheck);
  const bolt = BoltFile.openFile(cfg.snapshotPath);
  const index = cluster.members.length;
  let keys = 0;
  const skippedBuckets: string[] = [];
  try {
    mkdirSync(snapDir, { recursive: true, mode: 0o700 });
    const backend = LmdbBackend.open(join(snapDir, 'db'));
    try {
      for (const bucket of bolt.buckets()) {
        const name = Buffer.from(bucket.key).toString();
        if (MEMBERSHIP_BUCKETS.has(name)) continue;
        if (!(BUCKETS as readonly string[]).includes(name)) {
          skippedBuckets.push(name);
          continue;
        }
        for (const kv of bolt.iterate(bucket)) {
          backend.put(name as BucketName, kv.key, kv.value);
          if (++keys % COPY_BATCH === 0) await backend.commit();
        }
      }
      Membership.bootstrap(backend, cluster.members);
      for (const m of cluster.members) log('added member', { 'cluster-id': cluster.clusterId.toString(16), 'local-member-id': '0', 'added-peer-id': m.id.toString(16), 'added-peer-peer-urls': m.peerUrls });
      saveConf(backend, { voters: cluster.members.map((m) => m.id), learners: [] });
      // Raft restarts at `index`; applies from the new log must not be skipped as already applied.
      writeConsistentIndex(backend, index);
      await backend.commit();
    } finally {
      await backend.close();
    }

    const wal = await Wal.create(walDir, metadataCodec.encode({ NodeID: cluster.self.id, ClusterID: cluster.clusterId }));
    try {
      // Every member of the new cluster starts from the same snapshot at `index`, term 1.
      await wal.saveSnapshot({ index, term: 1 });
      await wal.save({ term: 1, vote: 0n, commit: index }, [], true);
    } finally {
      await wal.close();
    }
  } catch (err) {
    bolt.close();
    rmSync(cfg.dataDir, { recursive: true, force: true });
    if (cfg.walDir !== undefined) rmSync(cfg.walDir, { recursive: true, force: true });
    throw err;
  }
  bolt.close();
  log('restored snapshot', where);
  return { memberId: cluster.self.id, clusterId: cluster.clusterId, members: cluster.members, index, keys, skippedBuckets };
}
