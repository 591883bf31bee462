// A member's configuration, one typed field per etcd 3.4 flag (flag `foo-bar` ↔ field `fooBar`;
// durations carry an `Ms` suffix and are in milliseconds).

export type ClusterState = 'new' | 'existing';
export type ProxyMode = 'off' | 'readonly' | 'on';
export type DiscoveryFallback = 'exit' | 'proxy';

export interface EtcdConfig {
  /** Path given by --config-file / ETCD_CONFIG_FILE ('' when flags and env were used). */
  configFile: string;

  // member
  name: string;
  dataDir: string;
  walDir: string;
  snapshotCount: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  initialElectionTickAdvance: boolean;
  listenPeerUrls: URL[];
  listenClientUrls: URL[];
  maxSnapshots: number;
  maxWals: number;
  quotaBackendBytes: number;
  backendBatchIntervalMs: number;
  backendBatchLimit: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  maxConcurrentStreams: number;
  /** Threads serving client connections; -1: chosen from the available cores. */
  edgeThreads: number;
  grpcKeepaliveMinTimeMs: number;
  grpcKeepaliveIntervalMs: number;
  grpcKeepaliveTimeoutMs: number;
  /** etcd 3.6's --watch-progress-notify-interval; --experimental-watch-progress-notify-interval, when set, wins as in etcd 3.6. */
  watchProgressNotifyIntervalMs: number;
  /** '' or the etcd release the member reports and behaves as (validated against the supported releases). */
  emulatedEtcdVersion: string;

  // clustering
  initialAdvertisePeerUrls: URL[];
  /** Member name → its peer URLs, parsed from initialClusterText. */
  initialCluster: Map<string, URL[]>;
  initialClusterText: string;
  initialClusterState: ClusterState;
  initialClusterToken: string;
  /** Empty when --listen-client-urls was set without --advertise-client-urls (then validation fails). */
  advertiseClientUrls: URL[];
  discovery: string;
  discoveryFallback: DiscoveryFallback;
  discoveryProxy: string;
  discoverySrv: string;
  discoverySrvName: string;
  strictReconfigCheck: boolean;
  preVote: boolean;
  autoCompactionRetention: string;
  autoCompactionMode: 'periodic' | 'revision';
  enableV2: boolean;

  // security
  certFile: string;
  keyFile: string;
  clientCertAuth: boolean;
  clientCrlFile: string;
  clientCertAllowedHostname: string;
  trustedCaFile: string;
  autoTls: boolean;
  peerCertFile: string;
  peerKeyFile: string;
  peerClientCertAuth: boolean;
  peerTrustedCaFile: string;
  peerCertAllowedCn: string;
  peerCertAllowedHostname: string;
  peerAutoTls: boolean;
  peerCrlFile: string;
  cipherSuites: string[];
  /** Allowed CORS origins, sorted; ['*'] allows all. */
  cors: string[];
  /** Allowed Host header values, sorted; ['*'] allows all. */
  hostWhitelist: string[];

  // auth
  authToken: string;
  bcryptCost: number;
  authTokenTtl: number;

  // profiling and monitoring
  enablePprof: boolean;
  /** etcd-ts's web dashboard under /dashboard/ on the client URLs. */
  enableDashboard: boolean;
  metrics: string;
  listenMetricsUrls: URL[];

  // logging
  logger: string;
  logOutputs: string[];
  /** Deprecated --log-output; folded into logOutputs by validation. */
  logOutput: string[];
  logLevel: string;
  debug: boolean;
  logPackageLevels: string;

  // v2 proxy
  proxy: ProxyMode;
  proxyFailureWaitMs: number;
  proxyRefreshIntervalMs: number;
  proxyDialTimeoutMs: number;
  proxyWriteTimeoutMs: number;
  proxyReadTimeoutMs: number;

  // experimental
  experimentalInitialCorruptCheck: boolean;
  experimentalCorruptCheckTimeMs: number;
  experimentalEnableV2v3: string;
  experimentalBackendBboltFreelistType: string;
  experimentalEnableLeaseCheckpoint: boolean;
  experimentalEnableLeaseCheckpointPersist: boolean;
  experimentalCompactionBatchLimit: number;
  experimentalPeerSkipClientSanVerification: boolean;
  experimentalWatchProgressNotifyIntervalMs: number;
  experimentalWarningApplyDurationMs: number;

  // gateway and unsafe
  enableGrpcGateway: boolean;
  unsafeNoFsync: boolean;
  forceNewCluster: boolean;
}

export interface ParsedConfig {
  config: EtcdConfig;
  /** Warning-level notes etcd would log at startup (unrecognized ETCD_* variables, ignored flags…). */
  warnings: string[];
  /** Flag names (without dashes) set to a non-default value whose feature is not implemented yet. */
  notYetAvailable: string[];
  /** --auto-compaction-retention read for --auto-compaction-mode: milliseconds (periodic) or revisions (revision); 0: off. */
  autoCompactionRetention: number;
}

export interface ConfigExit {
  exit: number;
  stdout?: string;
  stderr?: string;
}
