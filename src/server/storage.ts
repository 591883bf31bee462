// A member's durable state on disk, laid out as etcd lays it out:
//   <data-dir>/member/wal/   the Raft log (our WAL)
//   <data-dir>/member/snap/db the applied state (LMDB backend) with its applied index
// On restart the backend says how far the log was applied; the WAL replays the rest.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStorage } from '../raft/index.js';
import type { ConfState, HardState } from '../raft/types.js';
import { Wal, type WalReplay } from '../wal/index.js';
import { LmdbBackend } from '../backend/lmdb.js';
import type { Backend, BackendView } from '../backend/backend.js';
import { MvccStore } from '../mvcc/index.js';
import { codec } from '../pb/codec.js';
import type { Logger } from '../pkg/logger.js';
import { maybeDefragBackend } from './bootstrap-defrag.js';
import type { RaftHost } from './raft-host.js';
import { BUCKETS, type BucketName } from '../backend/backend.js';
import { BoltFile } from '../bolt/reader.js';
import { boltConsistentIndex, isSnapshotDbName, snapshotDbPath } from '../rafthttp/snapshot-stream.js';
import { readConsistentIndex } from '../mvcc/meta.js';
import { jsonUint64, parseJsonExact, Membership } from '../membership/index.js';
import { failpointsOn, failpointAsync } from '../pkg/failpoint.js';

interface WalMetadata {
  NodeID: bigint;
  ClusterID: bigint;
}
/** The WAL's metadata record: which member and cluster the log belongs to. */
export const metadataCodec = codec<WalMetadata>('etcdserverpb.Metadata');
const CONF_STATE_KEY = new TextEncoder().encode('confState');

/** Entries kept in memory after a snapshot so slow followers can catch up without one (etcd: 5000). */
/** etcd's DefaultSnapshotCatchUpEntries: log entries kept behind a snapshot for slow followers. */
export const CATCH_UP_ENTRIES = 5000;

export interface MemberStorage {
  existing: boolean;
  memberId: bigint;
  clusterId: bigint;
  wal: Wal;
  backend: Backend;
  mvcc: MvccStore;
  raftStorage: MemoryStorage;
  confState: ConfState;
  /** Raft's applied index at boot: the last snapshot marker. */
  appliedIndex: number;
  /** The last index in the log at boot; the member is caught up once it applies it. */
  bootIndex: number;
  saveConfState(cs: ConfState): void;
  /**
   * Replaces the applied state with a snapshot's bbolt database at `path` (Raft's
   * snapshot at `index`), a batch at a time; reopens MVCC over it. The file stays
   * until the install is complete, so a crash midway resumes from it on restart.
   */
  installBackend(path: string, index: number): Promise<void>;
  commit(): Promise<void>;
  maybeSnapshot(host: RaftHost, snapshotCount: number, catchUpEntries?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openStorage(
  memberDir: string,
  opts: {
    memberId: bigint;
    clusterId: bigint;
    /** Where the WAL lives (etcd's --wal-dir); default <member-dir>/wal. */
    walDir?: string;
    /** The voters of a new cluster; absent when joining an existing one (the leader's snapshot says). */
    initialVoters?: bigint[];
    logger: Logger;
    onWalFsync?: (seconds: number) => void;
    /** --bootstrap-defrag-threshold-megabytes; 0 or absent: never defragment at start. */
    bootstrapDefragThresholdMegabytes?: number;
  },
): Promise<MemberStorage> {
  const walDir = opts.walDir || join(memberDir, 'wal');
  const snapDir = join(memberDir, 'snap');
  mkdirSync(snapDir, { recursive: true });
  const existing = Wal.exists(walDir);
  const backend = LmdbBackend.open(join(snapDir, 'db'));
  await resumeInstall(backend, snapDir, opts.logger);
  if (opts.bootstrapDefragThresholdMegabytes) await maybeDefragBackend(backend, join(snapDir, 'db'), opts.bootstrapDefragThresholdMegabytes, opts.logger);
  let mvcc = MvccStore.open(backend);
  const raftStorage = new MemoryStorage();
  const walOpts = { onFsync: opts.onWalFsync };

  let wal: Wal;
  let memberId = opts.memberId;
  let clusterId = opts.clusterId;
  let confState: ConfState;
  let appliedIndex: number;
  let bootIndex: number;

  if (!existing && !opts.initialVoters) {
    // Joining: an empty log; the leader's first snapshot brings the state and membership.
    if (existsSync(walDir)) mkdirSync(walDir, { recursive: true });
    wal = await Wal.create(walDir, metadataCodec.encode({ NodeID: memberId, ClusterID: clusterId }), walOpts);
    confState = { voters: [], learners: [] };
    appliedIndex = 0;
    bootIndex = 0;
  } else if (!existing) {
    if (existsSync(walDir)) mkdirSync(walDir, { recursive: true });
    wal = await Wal.create(walDir, metadataCodec.encode({ NodeID: memberId, ClusterID: clusterId }), walOpts);
    // The initial membership is a snapshot at index 1 rather than log entries: every
    // member of a new cluster starts from the same configuration without an election.
    confState = { voters: [...opts.initialVoters!], learners: [] };
    const hs: HardState = { term: 1, vote: 0n, commit: 1 };
    await wal.saveSnapshot({ index: 1, term: 1 });
    await wal.save(hs, [], true);
    raftStorage.applySnapshot({ metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) });
    raftStorage.setHardState(hs);
    saveConf(backend, confState);
    mvcc.setConsistentIndex(1);
    await backend.commit();
    appliedIndex = 1;
    bootIndex = 1;
  } else {
    const opened = await Wal.open(walDir, walOpts);
    wal = opened.wal;
    const replay: WalReplay = opened.replay;
    const md = metadataCodec.decode(replay.metadata);
    memberId = md.NodeID;
    clusterId = md.ClusterID;
    const snap = replay.snapshot ?? { index: 0, term: 0 };
    if (snap.index > mvcc.consistentIndex()) {
      // Raft recorded a leader's snapshot before its database was installed, and the
      // member stopped in between: the received file must be installed now, or the
      // backend would serve a state older than the log says it holds.
      const db = snapshotDbPath(snapDir, snap.index);
      if (!existsSync(db)) {
        throw new Error(`the WAL's snapshot at index ${snap.index} is ahead of the backend (applied index ${mvcc.consistentIndex()}) and its database ${db} is missing`);
      }
      opts.logger.warn('installing the snapshot database the WAL points at', { 'snapshot-index': snap.index, 'consistent-index': mvcc.consistentIndex(), path: db });
      await installBoltFile(backend, db, snap.index);
      mvcc = MvccStore.open(backend, mvcc.ops);
    }
    confState = loadConf(backend) ?? confFromMembers(backend);
    // A member that joined but never received a snapshot has nothing to restore.
    if (snap.index > 0) raftStorage.applySnapshot({ metadata: { index: snap.index, term: snap.term, confState }, data: new Uint8Array(0) });
    // The commit index is written lazily (see RaftHost), so the WAL's may trail the
    // snapshot; everything up to the snapshot is committed by definition.
    const hardState = { ...replay.hardState, commit: Math.max(replay.hardState.commit, snap.index) };
    raftStorage.setHardState(hardState);
    if (replay.entries.length) raftStorage.append(replay.entries);
    appliedIndex = snap.index;
    bootIndex = hardState.commit;
    opts.logger.info('replayed WAL', {
      'snapshot-index': snap.index,
      'wal-entries': replay.entries.length,
      'consistent-index': mvcc.consistentIndex(),
      commit: replay.hardState.commit,
    });
  }

  // Received databases nothing waits for any more (installed, or a partial receipt).
  for (const name of readdirSync(snapDir)) if (isSnapshotDbName(name)) rmSync(join(snapDir, name), { force: true });

  let lastSnapshotIndex = appliedIndex;
  let durableIndex = mvcc.consistentIndex();

  const ms: MemberStorage = {
    existing,
    memberId,
    clusterId,
    wal,
    backend,
    mvcc,
    raftStorage,
    confState,
    appliedIndex,
    bootIndex,
    saveConfState(cs) {
      saveConf(backend, cs);
    },
    async installBackend(path, index) {
      await installBoltFile(backend, path, index);
      ms.mvcc = MvccStore.open(backend, ms.mvcc.ops);
      durableIndex = 0;
    },
    async commit() {
      const index = ms.mvcc.consistentIndex();
      await backend.commit();
      durableIndex = Math.max(durableIndex, index);
    },
    async maybeSnapshot(host, snapshotCount, catchUpEntries = CATCH_UP_ENTRIES) {
      // The log may only be released up to what the backend holds durably.
      const index = Math.min(durableIndex, host.appliedIndex);
      // The backend is the state machine's snapshot, so the in-memory log need only
      // keep a catch-up window; a --snapshot-count below etcd's window narrows it too.
      const catchUp = Math.max(1, Math.min(catchUpEntries, snapshotCount));
      if (index - raftStorage.firstIndex() > 2 * catchUp) {
        if (index > raftStorage.snapshot().metadata.index) raftStorage.createSnapshot(index, host.confState, new Uint8Array(0));
        raftStorage.compact(index - catchUp);
      }
      if (index - lastSnapshotIndex < snapshotCount) return;
      const term = raftStorage.term(index);
      if (index > raftStorage.snapshot().metadata.index) raftStorage.createSnapshot(index, host.confState, new Uint8Array(0));
      await wal.saveSnapshot({ index, term });
      await wal.releaseTo(index);
      lastSnapshotIndex = index;
      opts.logger.info('saved snapshot', { 'snapshot-index': index });
    },
    async close() {
      await wal.close();
      await backend.close();
    },
  };
  return ms;
}

/**
 * Raft's voters and learners, kept beside the applied state so a restart knows them,
 * under the meta bucket's "confState" as etcd 3.5 keeps them (Go's JSON of
 * raftpb.ConfState), so a database that reaches an etcd member reads as etcd's own.
 */
export function saveConf(backend: Backend, cs: ConfState): void {
  const ids = (xs: bigint[]) => '[' + xs.map((x) => x.toString()).join(',') + ']';
  let json = '{';
  if (cs.voters.length) json += `"voters":${ids(cs.voters)},`;
  if (cs.learners.length) json += `"learners":${ids(cs.learners)},`;
  json += '"auto_leave":false}';
  backend.put('meta', CONF_STATE_KEY, new TextEncoder().encode(json));
}

/** etcd 3.5's JSON, or an earlier etcd-ts one (IDs as decimal strings, both lists always present). */
function parseConf(v: Uint8Array): ConfState {
  const o = parseJsonExact(new TextDecoder().decode(v)) as { voters?: unknown[]; learners?: unknown[] };
  const ids = (xs: unknown[] | undefined) => (xs ?? []).map((x) => jsonUint64(x, 'confState member'));
  return { voters: ids(o.voters), learners: ids(o.learners) };
}

/**
 * The configuration of a backend that keeps none: an etcd 3.4 database (3.4 keeps it in
 * its .snap files only), e.g. a leader's snapshot installed at restart because the
 * member stopped between recording the snapshot and installing it. The member list
 * the database holds as of the same index says it: its voters and its learners. Empty
 * as a joining member's backend, which Raft takes as "no configuration yet"; anything
 * else must not be, or a promoted member would count itself as the only voter.
 */
export function confFromMembers(backend: Backend): ConfState {
  return confOfMembers(Membership.load(backend).list());
}

/** The voters and learners of a member list. */
export function confOfMembers(members: ReadonlyArray<{ id: bigint; isLearner: boolean }>): ConfState {
  return { voters: members.filter((m) => !m.isLearner).map((m) => m.id), learners: members.filter((m) => m.isLearner).map((m) => m.id) };
}

export function loadConf(backend: Backend): ConfState | undefined {
  const v = backend.get('meta', CONF_STATE_KEY);
  return v ? parseConf(v) : undefined;
}

/** The configuration a point-in-time view of the backend holds (for a snapshot leaving this member). */
export function loadConfFromView(view: BackendView): ConfState | undefined {
  for (const [k, v] of view.range('meta', CONF_STATE_KEY, Buffer.concat([CONF_STATE_KEY, Buffer.from([0])]))) {
    if (Buffer.from(k).equals(CONF_STATE_KEY)) return parseConf(v);
  }
  return undefined;
}

/** Marks a backend being replaced by a snapshot's database (meta bucket): its value is the snapshot's index. */
export const INSTALLING_SNAPSHOT_KEY = Buffer.from('etcd_ts_installing_snapshot');
/** Entries (or bytes) written between two commits while installing: bounds the write batch held in memory. */
const INSTALL_BATCH_ENTRIES = 10_000;
const INSTALL_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Replaces every bucket's contents with the database file's, committing in batches so
 * memory holds one batch, not the database. A marker in the meta bucket, written first
 * and removed last, says the backend is half-installed should the member stop midway.
 */
async function installBoltFile(backend: Backend, path: string, index: number): Promise<void> {
  const held = boltConsistentIndex(path);
  if (held < index) throw new Error(`snapshot database holds index ${held}, behind the snapshot's ${index}`);
  const db = BoltFile.openFile(path);
  try {
    const mark = Buffer.allocUnsafe(8);
    mark.writeBigUInt64BE(BigInt(index), 0);
    backend.put('meta', INSTALLING_SNAPSHOT_KEY, mark);
    await backend.commit();
    let pending = 0;
    let bytes = 0;
    const maybeCommit = async (n: number) => {
      pending += 1;
      bytes += n;
      if (pending < INSTALL_BATCH_ENTRIES && bytes < INSTALL_BATCH_BYTES) return;
      pending = 0;
      bytes = 0;
      await backend.commit();
    };
    for (const bucket of BUCKETS) {
      // Keys are taken a batch at a time: deleting while iterating would re-read the batch.
      for (let start: Uint8Array = new Uint8Array(0); ; ) {
        const keys: Buffer[] = [];
        for (const [k] of backend.range(bucket, start)) {
          if (keys.length === INSTALL_BATCH_ENTRIES) break;
          keys.push(Buffer.from(k));
        }
        for (const k of keys) if (!(bucket === 'meta' && k.equals(INSTALLING_SNAPSHOT_KEY))) backend.delete(bucket, k);
        await backend.commit();
        if (failpointsOn) await failpointAsync('snapshotInstallMidBatch');
        if (keys.length < INSTALL_BATCH_ENTRIES) break;
        start = Buffer.concat([keys[keys.length - 1], Buffer.from([0])]);
      }
    }
    const known = new Set<string>(BUCKETS);
    for (const b of db.buckets()) {
      const name = Buffer.from(b.key).toString();
      // etcd's database may hold buckets etcd-ts keeps nowhere (v2's, say): they have no reader here.
      if (!b.isBucket || !known.has(name)) continue;
      for (const e of db.iterate(b)) {
        if (name === 'meta' && Buffer.from(e.key).equals(INSTALLING_SNAPSHOT_KEY)) continue;
        backend.put(name as BucketName, Buffer.from(e.key), Buffer.from(e.value));
        await maybeCommit(e.key.byteLength + e.value.byteLength);
      }
    }
    const ci = readConsistentIndex(backend);
    if (ci < index) throw new Error(`snapshot database holds index ${ci}, behind the snapshot's ${index}`);
    backend.delete('meta', INSTALLING_SNAPSHOT_KEY);
    await backend.commit();
  } finally {
    db.close();
  }
}

/**
 * At start: a backend left half-installed is completed from the snapshot's database
 * file, which is kept until an install finishes.
 */
async function resumeInstall(backend: Backend, snapDir: string, logger: Logger): Promise<void> {
  const mark = backend.get('meta', INSTALLING_SNAPSHOT_KEY);
  const keep = mark ? snapshotDbPath(snapDir, Number(Buffer.from(mark).readBigUInt64BE(0))) : undefined;
  if (mark && keep) {
    if (!existsSync(keep)) throw new Error(`backend was left half-installed from a snapshot and its database ${keep} is gone`);
    logger.warn('resuming an unfinished snapshot install', { path: keep });
    await installBoltFile(backend, keep, Number(Buffer.from(mark).readBigUInt64BE(0)));
  }
}
