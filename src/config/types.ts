// A member's configuration, one typed field per etcd 3.4 or 3.6 flag (flag `foo-bar` ↔ field
// `fooBar`; durations carry an `Ms` suffix and are in milliseconds). A flag 3.6 graduated from
// --experimental-* shares one field under both names.
import type { FeatureGates } from './feature-gates.js';

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
  /** HTTP-only client listeners (3.6); when set, --listen-client-urls serve gRPC only. */
  listenClientHttpUrls: URL[];
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
  memoryMlock: boolean;
  backendBboltFreelistType: string;
  socketReusePort: boolean;
  socketReuseAddress: boolean;
  raftReadTimeoutMs: number;
  raftWriteTimeoutMs: number;
  /** --feature-gates, with the experimental flags a gate replaced folded in. */
  featureGates: FeatureGates;

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
  v2Deprecation: string;
  // v3 discovery (3.6)
  discoveryToken: string;
  discoveryEndpoints: string[];
  discoveryDialTimeoutMs: number;
  discoveryRequestTimeoutMs: number;
  discoveryKeepaliveTimeMs: number;
  discoveryKeepaliveTimeoutMs: number;
  discoveryInsecureTransport: boolean;
  discoveryInsecureSkipTlsVerify: boolean;
  discoveryCert: string;
  discoveryKey: string;
  discoveryCacert: string;
  discoveryUser: string;
  discoveryPassword: string;

  // security
  certFile: string;
  keyFile: string;
  clientCertAuth: boolean;
  clientCertFile: string;
  clientKeyFile: string;
  clientCrlFile: string;
  /** Hostnames (SAN or CN) of which a client certificate must match one. */
  clientCertAllowedHostname: string[];
  trustedCaFile: string;
  autoTls: boolean;
  peerCertFile: string;
  peerKeyFile: string;
  peerClientCertAuth: boolean;
  peerClientCertFile: string;
  peerClientKeyFile: string;
  peerTrustedCaFile: string;
  /** Common names of which a peer certificate must carry one. */
  peerCertAllowedCn: string[];
  /** Hostnames (SAN or CN) of which a peer certificate must match one. */
  peerCertAllowedHostname: string[];
  peerSkipClientSanVerification: boolean;
  selfSignedCertValidity: number;
  /** 'TLS1.2' or 'TLS1.3'. */
  tlsMinVersion: string;
  /** '', 'TLS1.2' or 'TLS1.3' ('' lets the runtime choose). */
  tlsMaxVersion: string;
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
  /** 'json' (etcd's default) or 'console'. */
  logFormat: string;
  enableLogRotation: boolean;
  logRotationConfigJson: string;
  debug: boolean;
  logPackageLevels: string;

  // v2 proxy
  proxy: ProxyMode;
  proxyFailureWaitMs: number;
  proxyRefreshIntervalMs: number;
  proxyDialTimeoutMs: number;
  proxyWriteTimeoutMs: number;
  proxyReadTimeoutMs: number;

  // distributed tracing (3.6; the experimental names share these fields)
  enableDistributedTracing: boolean;
  distributedTracingAddress: string;
  distributedTracingServiceName: string;
  distributedTracingInstanceId: string;
  distributedTracingSamplingRate: number;

  // graduated in 3.6 (the --experimental-* name shares the field)
  corruptCheckTimeMs: number;
  compactHashCheckTimeMs: number;
  compactionBatchLimit: number;
  compactionSleepIntervalMs: number;
  warningApplyDurationMs: number;
  bootstrapDefragThresholdMegabytes: number;
  snapshotCatchupEntries: number;
  downgradeCheckTimeMs: number;
  /** 0 unless set; the effective value is resolved with the experimental twin (see warningUnaryRequestMs). */
  warningUnaryRequestDurationMs: number;
  experimentalWarningUnaryRequestDurationMs: number;
  maxLearners: number;

  // experimental booleans that 3.6 turned into feature gates (folded into featureGates)
  experimentalInitialCorruptCheck: boolean;
  experimentalCompactHashCheckEnabled: boolean;
  experimentalEnableLeaseCheckpoint: boolean;
  experimentalEnableLeaseCheckpointPersist: boolean;
  experimentalTxnModeWriteWithSharedBuffer: boolean;
  experimentalStopGrpcServiceOnDefrag: boolean;

  // experimental, not graduated
  experimentalEnableV2v3: string;
  experimentalBackendBboltFreelistType: string;
  experimentalWatchProgressNotifyIntervalMs: number;

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
  /** Flags given on the command line, as ETCD_* variables or as config file keys (etcd's FlagsExplicitlySet). */
  explicitlySet: ReadonlySet<string>;
  /** --warning-unary-request-duration as etcd resolves it with its experimental twin (300 ms when neither is set). */
  warningUnaryRequestMs: number;
}

export interface ConfigExit {
  exit: number;
  stdout?: string;
  stderr?: string;
}
