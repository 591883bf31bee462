// The vocabulary the Raft core shares with its host (the server, the WAL and the
// peer transport). Terms and indexes are plain numbers: 2^53 entries is beyond any
// log this process will ever hold. Member IDs are random 64-bit numbers, so bigint.

export type NodeId = bigint;
export const NONE: NodeId = 0n;

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
  /** raftpb's EntryConfChangeV2 (joint consensus): etcd 3.4 never proposes one, nor does etcd-ts. */
  ConfChangeV2 = 2,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be durable before any message that depends on it leaves the member. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChange {
  /** Opaque to Raft: the proposer's request ID, which etcd waits on (raftpb ConfChange.ID). */
  id: bigint;
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft: the server puts the member, as etcd's JSON, here. */
  context: Uint8Array;
}

export enum MessageType {
  Hup = 0,
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  Unreachable = 10,
  SnapStatus = 11,
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  context?: Uint8Array;
}

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface SoftState {
  lead: NodeId;
  role: RaftRole;
}

/** A linearizable read may be served once the applied index reaches `index`. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * One batch of work for the host, in this order: persist `hardState`, `entries`
 * and `snapshot` (fsync when `mustSync`), then send `messages`, then apply
 * `committedEntries`, then call `advance()`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}
