// A member's durable state on disk, laid out as etcd lays it out:
//   <data-dir>/member/wal/   the Raft log (our WAL)
//   <data-dir>/member/snap/db the applied state (LMDB backend) with its applied index
// On restart the backend says how far the log was applied; the WAL replays the rest.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStorage } from '../raft/index.js';
import type { ConfState, HardState } from '../raft/types.js';
import { Wal, type WalReplay } from '../wal/index.js';
import { LmdbBackend } from '../backend/lmdb.js';
import type { Backend } from '../backend/backend.js';
import { MvccStore } from '../mvcc/index.js';
import { codec } from '../pb/codec.js';
import type { Logger } from '../pkg/logger.js';
import type { RaftHost } from './raft-host.js';
import { loadBackend } from '../rafthttp/backend-dump.js';

interface WalMetadata {
  NodeID: bigint;
  ClusterID: bigint;
}
/** The WAL's metadata record: which member and cluster the log belongs to. */
export const metadataCodec = codec<WalMetadata>('etcdserverpb.Metadata');
const CONF_STATE_KEY = new TextEncoder().encode('confState');

/** Entries kept in memory after a snapshot so slow followers can catch up without one (etcd: 5000). */
const CATCH_UP_ENTRIES = 5000;

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
  /** Replaces the applied state with a snapshot's backend dump; reopens MVCC over it. */
  installBackend(dump: Uint8Array): void;
  commit(): Promise<void>;
  maybeSnapshot(host: RaftHost, snapshotCount: number): Promise<void>;
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
  },
): Promise<MemberStorage> {
  const walDir = opts.walDir || join(memberDir, 'wal');
  const snapDir = join(memberDir, 'snap');
  mkdirSync(snapDir, { recursive: true });
  const existing = Wal.exists(walDir);
  const backend = LmdbBackend.open(join(snapDir, 'db'));
  const mvcc = MvccStore.open(backend);
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
    confState = loadConf(backend) ?? { voters: [], learners: [] };
    const snap = replay.snapshot ?? { index: 0, term: 0 };
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
    installBackend(dump) {
      loadBackend(backend, dump);
      ms.mvcc = MvccStore.open(backend);
      durableIndex = 0;
    },
    async commit() {
      const index = ms.mvcc.consistentIndex();
      await backend.commit();
      durableIndex = Math.max(durableIndex, index);
    },
    async maybeSnapshot(host, snapshotCount) {
      // The log may only be released up to what the backend holds durably.
      const index = Math.min(durableIndex, host.appliedIndex);
      // The backend is the state machine's snapshot, so the in-memory log need only
      // keep a catch-up window; a --snapshot-count below etcd's window narrows it too.
      const catchUp = Math.max(1, Math.min(CATCH_UP_ENTRIES, snapshotCount));
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

/** Raft's voters and learners, kept beside the applied state so a restart knows them. */
export function saveConf(backend: Backend, cs: ConfState): void {
  const json = JSON.stringify({ voters: cs.voters.map(String), learners: cs.learners.map(String) });
  backend.put('meta', CONF_STATE_KEY, new TextEncoder().encode(json));
}

function loadConf(backend: Backend): ConfState | undefined {
  const v = backend.get('meta', CONF_STATE_KEY);
  if (!v) return undefined;
  const o = JSON.parse(new TextDecoder().decode(v));
  return { voters: o.voters.map((x: string) => BigInt(x)), learners: o.learners.map((x: string) => BigInt(x)) };
}
