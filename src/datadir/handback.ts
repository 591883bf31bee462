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
// the data dir (member.hand-back), marked whole, and swapped in at the end; the etcd-ts
// files go. A hand-back stopped during the swap is finished by running it again.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LmdbBackend } from '../backend/lmdb.js';
import { writeBackendSnapshot } from '../bolt/backend-snapshot.js';
import { encodeV2Store, Membership } from '../membership/index.js';
import { viewConsistentIndex } from '../rafthttp/snapshot-stream.js';
import { confOfMembers, loadConfFromView, metadataCodec } from '../server/storage.js';
import { Wal, type WalReplay } from '../wal/index.js';
import type { BackendView } from '../backend/backend.js';
import { EtcdDataDirError } from './errors.js';
import { readEtcdWal, syncPath, writeEtcdWal } from './etcd-wal.js';
import { writeEtcdSnap } from './etcd-snap.js';
import { takeoverStore } from './takeover.js';
import { etcdPaths, isEtcdDataDir } from './inspect.js';

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

/** Written into the staged files once they are whole: from then on the hand-back is rolled forward, never back. */
const STAGED_MARK = 'hand-back-staged';

interface HandBackPaths {
  memberDir: string;
  staging: string;
  walStaging: string;
  /** The member dir being replaced, until it is removed. */
  old: string;
}

function handBackPaths(cfg: HandBackConfig): HandBackPaths {
  const staging = join(cfg.dataDir, 'member.hand-back');
  return {
    memberDir: join(cfg.dataDir, 'member'),
    staging,
    walStaging: cfg.walDir ? `${cfg.walDir}.hand-back` : join(staging, 'wal'),
    old: join(cfg.dataDir, 'member.etcd-ts-old'),
  };
}

/**
 * Puts staged files in place. Every step checks what is already done, so a hand-back
 * stopped anywhere in here (a crash between two renames) is finished by running it again.
 */
function swapIn(cfg: HandBackConfig, p: HandBackPaths): void {
  if (existsSync(p.memberDir) && !existsSync(p.old)) renameSync(p.memberDir, p.old);
  if (cfg.walDir && existsSync(p.walStaging)) {
    rmSync(cfg.walDir, { recursive: true, force: true });
    renameSync(p.walStaging, cfg.walDir);
    syncPath(dirname(cfg.walDir));
  }
  if (existsSync(p.staging)) renameSync(p.staging, p.memberDir);
  syncPath(cfg.dataDir);
  rmSync(join(p.memberDir, STAGED_MARK), { force: true });
  rmSync(p.old, { recursive: true, force: true });
}

export async function handBack(cfg: HandBackConfig, log: HandBackLog = () => {}): Promise<HandBackResult> {
  const p = handBackPaths(cfg);
  if (existsSync(join(p.staging, STAGED_MARK)) || existsSync(join(p.memberDir, STAGED_MARK))) {
    swapIn(cfg, p);
    log('finished a hand-back that was stopped while putting etcd\'s files in place', { 'data-dir': cfg.dataDir });
    return describeEtcdMember(cfg.walDir ?? join(p.memberDir, 'wal'));
  }
  const store = takeoverStore(cfg.dataDir);
  const tookOver = Wal.exists(join(store, 'member', 'wal'));
  // etcd's WAL has the same file names as etcd-ts's: it must never be opened as one.
  if (!tookOver && isEtcdDataDir(etcdPaths(cfg.dataDir, cfg.walDir))) {
    rmSync(p.old, { recursive: true, force: true });
    throw new EtcdDataDirError(join(p.memberDir, 'snap', 'db'), 'is etcd\'s already: the member is etcd\'s, nothing to hand back');
  }
  const tsMember = join(tookOver ? store : cfg.dataDir, 'member');
  const tsWal = join(tsMember, 'wal');
  if (!Wal.exists(tsWal)) throw new EtcdDataDirError(cfg.dataDir, 'holds no etcd-ts member (no etcd-ts WAL in member/wal or member/etcd-ts/member/wal)');
  const tsDb = join(tsMember, 'snap', 'db');
  if (!existsSync(tsDb)) throw new EtcdDataDirError(tsDb, 'missing: the etcd-ts backend');

  // Opening the WAL takes its lock: a member still running on the dir is refused here.
  const { wal, replay } = await Wal.open(tsWal);
  let result: HandBackResult;
  try {
    const backend = LmdbBackend.open(tsDb);
    try {
      const view = await backend.snapshotView();
      try {
        result = await stage(cfg, p, view, replay, tsDb, tsWal, log);
      } finally {
        view.close();
      }
    } finally {
      await backend.close();
    }
  } catch (err) {
    rmSync(p.staging, { recursive: true, force: true });
    if (cfg.walDir) rmSync(p.walStaging, { recursive: true, force: true });
    throw err;
  } finally {
    await wal.close();
  }
  // The etcd-ts files (and after a takeover etcd's stale ones) go with the old member dir.
  swapIn(cfg, p);
  log('handed the member back to etcd', { 'data-dir': cfg.dataDir, 'wal-dir': cfg.walDir ?? join(p.memberDir, 'wal') });
  return result;
}

/** Writes etcd's files for the member into the staging dirs, fsynced, and marks them whole. */
async function stage(cfg: HandBackConfig, p: HandBackPaths, view: BackendView, replay: WalReplay, tsDb: string, tsWal: string, log: HandBackLog): Promise<HandBackResult> {
  const md = metadataCodec.decode(replay.metadata);
  const state = Membership.readView(view);
  if (state.clusterVersion && newerThan34(state.clusterVersion)) {
    throw new EtcdDataDirError(tsDb, `cluster version ${state.clusterVersion}: etcd 3.4 refuses to start on it; etcd-ts members of a cluster meant to go back to etcd 3.4 run with --emulated-etcd-version 3.4.23`);
  }
  const index = viewConsistentIndex(view);
  const snap = replay.snapshot ?? { index: 0, term: 0 };
  const term = index === snap.index ? snap.term : replay.entries.find((e) => e.index === index)?.term;
  if (term === undefined) throw new EtcdDataDirError(tsWal, `holds no entry at the backend's applied index ${index}`);
  const entries = replay.entries.filter((e) => e.index > index);
  const hardState = { ...replay.hardState, commit: Math.max(replay.hardState.commit, index) };
  const confState = loadConfFromView(view) ?? confOfMembers(state.members);
  log('handing the member back to etcd', { 'member-id': md.NodeID.toString(16), 'cluster-id': md.ClusterID.toString(16), 'snapshot-index': index, 'snapshot-term': term, 'wal-entries': entries.length, 'cluster-version': state.clusterVersion });

  rmSync(p.staging, { recursive: true, force: true });
  if (cfg.walDir) rmSync(p.walStaging, { recursive: true, force: true });
  const snapDir = join(p.staging, 'snap');
  mkdirSync(snapDir, { recursive: true, mode: 0o700 });
  await writeBackendSnapshot(view, join(snapDir, 'db'));
  syncPath(join(snapDir, 'db'));
  if (index > 0) writeEtcdSnap(snapDir, { data: encodeV2Store(state), metadata: { index, term, confState } });
  syncPath(snapDir);
  writeEtcdWal(p.walStaging, { metadata: replay.metadata, snapshot: { index, term }, hardState, entries });
  writeFileSync(join(p.staging, STAGED_MARK), '');
  syncPath(p.staging);
  return { memberId: md.NodeID, clusterId: md.ClusterID, index, term, entries: entries.length, clusterVersion: state.clusterVersion };
}

/** What the etcd WAL just put in place says about the member. */
function describeEtcdMember(walDir: string): HandBackResult {
  const wal = readEtcdWal(walDir);
  const md = metadataCodec.decode(wal.metadata);
  return { memberId: md.NodeID, clusterId: md.ClusterID, index: wal.snapshot.index, term: wal.snapshot.term, entries: wal.entries.length };
}

function newerThan34(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > ETCD_34[0]! || (major === ETCD_34[0] && minor > ETCD_34[1]!);
}
