// The way back: an etcd-ts member's data dir (one etcd-ts created, or a member it took
// over from etcd) turned into the files etcd 3.4 restarts the same member from:
//   member/snap/db                      the backend as a bbolt database, as etcd keeps it
//   member/snap/<term>-<index>.snap     the Raft snapshot at the backend's applied index,
//                                       its data the v2 store with the membership
//   member/wal/0000000000000000-0000000000000000.wal
//                                       metadata (member and cluster IDs), the snapshot
//                                       record, every log entry after it, the hard state
// so etcd keeps the member's identity, term and vote, and replays what the member had
// logged but not applied, as it would after its own restart. The files are built beside
// the data dir and swapped in at the end; the etcd-ts files go.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LmdbBackend } from '../backend/lmdb.js';
import { writeBackendSnapshot } from '../bolt/backend-snapshot.js';
import { encodeV2Store, Membership } from '../membership/index.js';
import { viewConsistentIndex } from '../rafthttp/snapshot-stream.js';
import { confOfMembers, loadConfFromView, metadataCodec } from '../server/storage.js';
import { Wal } from '../wal/index.js';
import { EtcdDataDirError } from './errors.js';
import { syncPath, writeEtcdWal } from './etcd-wal.js';
import { writeEtcdSnap } from './etcd-snap.js';
import { takeoverStore } from './takeover.js';

/** The newest cluster version etcd 3.4 starts on: a higher one makes it refuse ("cluster cannot be downgraded"). */
const ETCD_34 = [3, 4];

export interface HandBackConfig {
  dataDir: string;
  /** Where etcd keeps its WAL (etcd's --wal-dir); default <data-dir>/member/wal. */
  walDir?: string;
}

export interface HandBackResult {
  memberId: bigint;
  clusterId: bigint;
  /** The snapshot's index: the backend's applied index. */
  index: number;
  term: number;
  /** Log entries after the snapshot, for etcd to replay. */
  entries: number;
  clusterVersion?: string;
}

export type HandBackLog = (msg: string, fields: Record<string, unknown>) => void;

export async function handBack(cfg: HandBackConfig, log: HandBackLog = () => {}): Promise<HandBackResult> {
  const store = takeoverStore(cfg.dataDir);
  const tookOver = Wal.exists(join(store, 'member', 'wal'));
  const tsMember = join(tookOver ? store : cfg.dataDir, 'member');
  const tsWal = join(tsMember, 'wal');
  if (!Wal.exists(tsWal)) throw new EtcdDataDirError(cfg.dataDir, 'holds no etcd-ts member (no etcd-ts WAL in member/wal or member/etcd-ts/member/wal)');
  const tsDb = join(tsMember, 'snap', 'db');
  if (!existsSync(tsDb)) throw new EtcdDataDirError(tsDb, 'missing: the etcd-ts backend');

  // Opening the WAL takes its lock: a member still running on the dir is refused here.
  const { wal, replay } = await Wal.open(tsWal);
  const backend = LmdbBackend.open(tsDb);
  const memberDir = join(cfg.dataDir, 'member');
  const staging = join(cfg.dataDir, 'member.hand-back');
  const walStaging = cfg.walDir ? `${cfg.walDir}.hand-back` : join(staging, 'wal');
  let result: HandBackResult;
  try {
    const view = await backend.snapshotView();
    try {
      const md = metadataCodec.decode(replay.metadata);
      const state = Membership.readView(view);
      if (state.clusterVersion && newerThan34(state.clusterVersion)) {
        throw new EtcdDataDirError(tsDb, `cluster version ${state.clusterVersion}: etcd 3.4 refuses to start on it; etcd-ts members of a cluster meant to go back to etcd 3.4 run with --emulated-etcd-version 3.4.23`);
      }
      const index = viewConsistentIndex(view);
      const snap = replay.snapshot ?? { index: 0, term: 0 };
      const at = replay.entries.find((e) => e.index === index);
      const term = index === snap.index ? snap.term : at?.term;
      if (term === undefined) throw new EtcdDataDirError(tsWal, `holds no entry at the backend's applied index ${index}`);
      const entries = replay.entries.filter((e) => e.index > index);
      const hardState = { ...replay.hardState, commit: Math.max(replay.hardState.commit, index) };
      const confState = loadConfFromView(view) ?? confOfMembers(state.members);
      log('handing the member back to etcd', { 'member-id': md.NodeID.toString(16), 'cluster-id': md.ClusterID.toString(16), 'snapshot-index': index, 'snapshot-term': term, 'wal-entries': entries.length, 'cluster-version': state.clusterVersion });

      rmSync(staging, { recursive: true, force: true });
      if (cfg.walDir) rmSync(walStaging, { recursive: true, force: true });
      const snapDir = join(staging, 'snap');
      mkdirSync(snapDir, { recursive: true, mode: 0o700 });
      await writeBackendSnapshot(view, join(snapDir, 'db'));
      syncPath(join(snapDir, 'db'));
      if (index > 0) writeEtcdSnap(snapDir, { data: encodeV2Store(state), metadata: { index, term, confState } });
      syncPath(snapDir);
      writeEtcdWal(walStaging, { metadata: replay.metadata, snapshot: { index, term }, hardState, entries });
      result = { memberId: md.NodeID, clusterId: md.ClusterID, index, term, entries: entries.length, clusterVersion: state.clusterVersion };
    } finally {
      view.close();
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (cfg.walDir) rmSync(walStaging, { recursive: true, force: true });
    throw err;
  } finally {
    await backend.close();
    await wal.close();
  }

  // The swap: the old member dir (etcd-ts's files, and etcd's stale ones after a takeover) goes.
  const old = join(cfg.dataDir, 'member.etcd-ts-old');
  rmSync(old, { recursive: true, force: true });
  renameSync(memberDir, old);
  renameSync(staging, memberDir);
  if (cfg.walDir) {
    rmSync(cfg.walDir, { recursive: true, force: true });
    renameSync(walStaging, cfg.walDir);
    syncPath(dirname(cfg.walDir));
  }
  syncPath(cfg.dataDir);
  rmSync(old, { recursive: true, force: true });
  log('handed the member back to etcd', { 'data-dir': cfg.dataDir, 'wal-dir': cfg.walDir ?? join(memberDir, 'wal') });
  return result;
}

function newerThan34(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > ETCD_34[0]! || (major === ETCD_34[0] && minor > ETCD_34[1]!);
}
