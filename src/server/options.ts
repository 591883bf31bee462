// What the server needs from the member's configuration: a narrow, already-validated
// view, so the server never parses flags itself.
import type { PeerTlsConfig } from '../rafthttp/tls.js';
import type { EtcdRelease } from '../version/index.js';

export interface InitialMember {
  name: string;
  peerUrls: string[];
}

export interface ServerOptions {
  name: string;
  dataDir: string;
  /** A dedicated WAL directory (etcd's --wal-dir); default <data-dir>/member/wal. */
  walDir?: string;
  initialCluster: InitialMember[];
  initialClusterToken: string;
  initialClusterState: 'new' | 'existing';
  heartbeatMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  quotaBackendBytes: number;
  maxRequestBytes: number;
  maxTxnOps: number;
  /** How often applied state is committed to the backend, as etcd's backend-batch-interval. */
  backendBatchIntervalMs: number;
  /** Commit early once this many writes are pending, as etcd's backend-batch-limit. */
  backendBatchLimit: number;
  /** bcrypt cost for stored passwords (--bcrypt-cost); default 10. */
  bcryptCost?: number;
  /** Idle lifetime of a simple auth token (--auth-token-ttl); default 300 s. */
  authTokenTtlSeconds?: number;
  /** --auth-token: 'simple' (default) or 'jwt,pub-key=…,priv-key=…,sign-method=…[,ttl=…]'. */
  authToken?: string;
  /** With --client-cert-auth, a request without a token acts as its certificate's CN. */
  clientCertAuth?: boolean;
  /** Where peers reach this member (--listen-peer-urls); none: a member with no peers. */
  listenPeerUrls?: URL[];
  /**
   * The peer URLs this member advertises (--initial-advertise-peer-urls); absent: its
   * --initial-cluster entry's. A restarted member is not looked up in --initial-cluster.
   */
  advertisePeerUrls?: string[];
  /** For https:// peer URLs (--peer-* security flags). */
  peerTls?: PeerTlsConfig;
  /** Refuse membership changes that could cost quorum (--strict-reconfig-check, default true). */
  strictReconfigCheck?: boolean;
  /** Compare this member's key-value hash with its peers' before serving (--experimental-initial-corrupt-check). */
  initialCorruptCheck?: boolean;
  /** Leader's interval between corruption checks; 0 or absent: off (--experimental-corrupt-check-time). */
  corruptCheckTimeMs?: number;
  /** How --auto-compaction-retention reads (--auto-compaction-mode); default 'periodic'. */
  autoCompactionMode?: 'periodic' | 'revision';
  /** Parsed --auto-compaction-retention: milliseconds (periodic) or revisions (revision); 0 or absent: off. */
  autoCompactionRetention?: number;
  /** Most learners the cluster may have (--max-learners); default 1. */
  maxLearners?: number;
  /** Log entries kept behind a snapshot for slow followers (--snapshot-catchup-entries); default 5000. */
  snapshotCatchupEntries?: number;
  /** Applies slower than this log 'apply request took too long' and count as slow (--warning-apply-duration); default 100 ms. */
  warningApplyDurationMs?: number;
  /** Tests only (no flag): replaces auto-compaction's interval (periodic: retention/10, revision: 5 minutes). */
  autoCompactionIntervalMs?: number;
  /** The etcd release the member reports and behaves as (--emulated-etcd-version); default: EtcdRelease.default(). */
  release?: EtcdRelease;
  /** Period of progress notifications for watchers that asked for them (--watch-progress-notify-interval); default 10 minutes. */
  watchProgressNotifyIntervalMs?: number;
  /** Defragment the backend at start when that frees at least this many MiB (--bootstrap-defrag-threshold-megabytes); 0 or absent: never. */
  bootstrapDefragThresholdMegabytes?: number;
  /** The leader's compaction hash check interval (--compact-hash-check-time, with the CompactHashCheck gate); absent: off. */
  compactHashCheckTimeMs?: number;
  /** The leader's check that a downgrade job is done (--downgrade-check-time); default 5 s. */
  downgradeCheckTimeMs?: number;
  /** Tests only (no flag): the leader's cluster version checks (etcd: 4 s), and the downgrade check's when --downgrade-check-time is absent. */
  versionMonitorIntervalMs?: number;
}

export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;

export function defaultServerOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  const name = overrides.name ?? 'default';
  return {
    name,
    dataDir: `${name}.etcd`,
    initialCluster: [{ name, peerUrls: ['http://localhost:2380'] }],
    initialClusterToken: 'etcd-cluster',
    initialClusterState: 'new',
    heartbeatMs: 100,
    electionTimeoutMs: 1000,
    snapshotCount: 100000,
    quotaBackendBytes: DEFAULT_QUOTA_BACKEND_BYTES,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxTxnOps: 128,
    backendBatchIntervalMs: 100,
    backendBatchLimit: 10000,
    ...overrides,
  };
}
