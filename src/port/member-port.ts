// The member port: everything the protocol edge (the gRPC services, the JSON
// gateway, the HTTP endpoints) may ask of a member, and nothing more. Requests go
// in as etcd's wire shapes with the caller's credentials; responses come out whole,
// headers included. Who the caller is, and whether it may do what it asks, is
// decided behind the port (as etcd decides it in its server and apply layers), so
// the edge holds no member state and can run on another thread.
import type * as kv from '../pb/kv.js';
import type * as leasepb from '../pb/lease.js';
import type * as mpb from '../pb/maintenance.js';
import type { SharedWatchResponse } from '../pb/watch-wire.js';
import type { AuthRaftRequest } from '../auth/apply.js';
import type { CallerIdentity } from '../auth/checks.js';
import type { WatchCreate, WatchResult } from '../watch/types.js';

/** What a call carries to identify its caller (its token, its certificate's CN); resolved behind the port. */
export type Credentials = CallerIdentity;

export const NO_CREDENTIALS: Credentials = Object.freeze({});

/**
 * The protobuf encoding of an etcd message of type T, exactly as on the wire. The
 * hot KV calls take and give their messages encoded: the edge passes a request's
 * bytes through untouched and writes the answer's bytes out as they come, and
 * across threads they travel packed (packed.ts) instead of as object graphs.
 */
export type Encoded<T> = Uint8Array & { readonly __encodes?: T };

/** A watch response with the member's header. */
export interface WatchResponse extends WatchResult {
  header: kv.ResponseHeader;
}

/**
 * Delivers one response, encoded, or, for a plain events response, as the body it
 * shares with every other watcher sent the same events and its watch ID (the edge
 * writes its bytes with composeWatchResponse); false: accepted, but send no more
 * until drained().
 */
export type WatchOutlet = (r: WatchDelivery) => boolean;

/** What a watch stream's outlet is given: a whole encoded response, or a shared body and an ID. */
export type WatchDelivery = Encoded<WatchResponse> | SharedWatchResponse;

/** One client watch stream behind the port. */
export interface WatchStreamPort {
  watch(req: WatchCreate): void;
  cancel(watchId: number): void;
  requestProgress(): void;
  /** The outlet has room again. */
  drained(): void;
  close(): void;
}

export interface LeaderKey {
  name: Uint8Array;
  key: Uint8Array;
  rev: number;
  lease: bigint;
}

/** A /livez or /readyz answer. */
export interface HealthAnswer {
  status: number;
  /** "ok\n" (after the check lines with ?verbose), or every check's line on failure. */
  body: string;
}

export interface HealthVerdict {
  ok: boolean;
  body: { health: string; reason?: string };
}

/** A database snapshot written for one client: stream the file, then release it. */
export interface SnapshotFile {
  path: string;
  size: number;
  /** etcd 3.6's SnapshotResponse.version: the storage version of the member that wrote it. */
  version?: string;
  release(): void;
}

export interface KvPort {
  range(req: Encoded<kv.RangeRequest>, who: Credentials): Promise<Encoded<kv.RangeResponse>>;
  put(req: Encoded<kv.PutRequest>, who: Credentials): Promise<Encoded<kv.PutResponse>>;
  deleteRange(req: Encoded<kv.DeleteRangeRequest>, who: Credentials): Promise<Encoded<kv.DeleteRangeResponse>>;
  txn(req: Encoded<kv.TxnRequest>, who: Credentials): Promise<Encoded<kv.TxnResponse>>;
  compact(req: kv.CompactionRequest, who: Credentials): Promise<kv.CompactionResponse>;
}

export interface WatchPort {
  /** Opens a stream; a create the caller may not read is answered created-and-canceled. */
  openWatch(who: Credentials, out: WatchOutlet): WatchStreamPort;
}

export interface LeasePort {
  leaseGrant(req: leasepb.LeaseGrantRequest, who: Credentials): Promise<leasepb.LeaseGrantResponse>;
  leaseRevoke(req: leasepb.LeaseRevokeRequest, who: Credentials): Promise<leasepb.LeaseRevokeResponse>;
  /**
   * One keep-alive, its request and response as protobuf bytes (every lease holder
   * sends these, often over a stream of their own): TTL 0 for a lease that does not exist.
   */
  leaseKeepAlive(req: Encoded<leasepb.LeaseKeepAliveRequest>, who: Credentials): Promise<Encoded<leasepb.LeaseKeepAliveResponse>>;
  /** TTL -1 for a lease that does not exist. */
  leaseTimeToLive(req: leasepb.LeaseTimeToLiveRequest, who: Credentials): Promise<leasepb.LeaseTimeToLiveResponse>;
  leaseLeases(who: Credentials): Promise<leasepb.LeaseLeasesResponse>;
}

export interface ClusterPort {
  /** `linearizable` (etcd 3.5+): a ReadIndex round first, when the release honours it. */
  memberList(req: { linearizable?: boolean }, who: Credentials): Promise<mpb.MemberListResponse>;
  memberAdd(req: { peerURLs: string[]; isLearner: boolean }, who: Credentials): Promise<mpb.MemberAddResponse>;
  memberRemove(req: { ID: bigint }, who: Credentials): Promise<mpb.MemberListResponse>;
  memberUpdate(req: { ID: bigint; peerURLs: string[] }, who: Credentials): Promise<mpb.MemberListResponse>;
  memberPromote(req: { ID: bigint }, who: Credentials): Promise<mpb.MemberListResponse>;
}

export interface MaintenancePort {
  status(who: Credentials): Promise<mpb.StatusResponse>;
  hash(who: Credentials): Promise<mpb.HashResponse>;
  hashKV(req: { revision: number }, who: Credentials): Promise<mpb.HashKVResponse>;
  moveLeader(req: { targetID: bigint }, who: Credentials): Promise<{ header: kv.ResponseHeader }>;
  alarm(req: mpb.AlarmRequest, who: Credentials): Promise<mpb.AlarmResponse>;
  /** etcd answers with an empty response, no header. */
  defragment(who: Credentials): Promise<{ header?: kv.ResponseHeader }>;
  /** Writes the backend as a bbolt database for the caller to stream (admin only). */
  snapshot(who: Credentials, signal: AbortSignal): Promise<SnapshotFile>;
  /** etcd 3.5+: validate, enable or cancel a downgrade of the cluster version. */
  downgrade(req: mpb.DowngradeRequest, who: Credentials): Promise<mpb.DowngradeResponse>;
}

export interface AuthPort {
  authenticate(req: { name: string; password: string }): Promise<{ header?: kv.ResponseHeader; token: string }>;
  /** Every other Auth RPC: one auth request proposed on the caller's behalf. */
  authRequest(req: AuthRaftRequest, who: Credentials): Promise<Record<string, unknown>>;
}

export interface CoordinationPort {
  lock(req: { name: Uint8Array; lease: bigint }, who: Credentials, signal: AbortSignal): Promise<{ header: kv.ResponseHeader; key: Uint8Array }>;
  unlock(req: { key: Uint8Array }, who: Credentials): Promise<{ header: kv.ResponseHeader }>;
  campaign(req: { name: Uint8Array; lease: bigint; value: Uint8Array }, who: Credentials, signal: AbortSignal): Promise<{ header: kv.ResponseHeader; leader: LeaderKey }>;
  proclaim(req: { leader?: LeaderKey; value: Uint8Array }, who: Credentials): Promise<{ header: kv.ResponseHeader }>;
  leader(req: { name: Uint8Array }, who: Credentials): Promise<{ header: kv.ResponseHeader; kv?: kv.KeyValue }>;
  resign(req: { leader?: LeaderKey }, who: Credentials): Promise<{ header: kv.ResponseHeader }>;
  /** Streams every change of leader until the signal aborts. */
  observe(req: { name: Uint8Array }, who: Credentials, out: (r: { header: kv.ResponseHeader; kv?: kv.KeyValue }) => void, signal: AbortSignal): Promise<void>;
}

/** The plain HTTP endpoints' questions. */
export interface HttpPort {
  /** /health: alarms not in `exclude`, a leader, and a linearizable read in time. */
  health(exclude: ReadonlySet<string>): Promise<HealthVerdict>;
  /** /livez, /readyz and their per-check paths (etcd 3.6); undefined: no such path. `query` is the URL's search part. */
  healthChecks(path: string, query: string): Promise<HealthAnswer | undefined>;
  /** /version: the server's and the cluster's etcd versions, and the storage version (etcd 3.6). */
  version(): Promise<{ etcdserver: string; etcdcluster: string; storage?: string }>;
  /** /metrics: the member's Prometheus text. */
  metricsText(): Promise<string>;
}

export interface MemberPort extends KvPort, WatchPort, LeasePort, ClusterPort, MaintenancePort, AuthPort, CoordinationPort, HttpPort {}
