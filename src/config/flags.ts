import { knownFeatures } from './feature-gates.js';
import type { FlagKind } from './flag-kinds.js';
import type { EtcdConfig } from './types.js';

export type FlagSection =
  | 'Member'
  | 'Clustering'
  | 'Security'
  | 'Auth'
  | 'Profiling and Monitoring'
  | 'Logging'
  | 'v2 Proxy (to be deprecated in v4)'
  | 'Experimental distributed tracing'
  | 'Experimental feature'
  | 'Unsafe feature'
  | 'To be deprecated';

export interface FlagSpec {
  name: string;
  /** Config field the flag sets; absent for --version and flags etcd ignores. */
  key?: keyof EtcdConfig;
  kind: FlagKind;
  section?: FlagSection;
  usage: string;
  /** Default as shown by --help, when it differs from the stored default's plain rendering. */
  shownDefault?: string;
  /** Accepted and stored, but the feature behind it is not implemented yet. */
  notYetAvailable?: boolean;
}

const S: FlagKind = { t: 'string' };
const B: FlagKind = { t: 'bool' };
const U: FlagKind = { t: 'uint' };
const I: FlagKind = { t: 'int' };
const D: FlagKind = { t: 'duration' };
const URLS: FlagKind = { t: 'urls' };

// Every flag etcd 3.4 registers and every flag etcd 3.6 added, in --help order.
export const FLAGS: readonly FlagSpec[] = [
  { name: 'config-file', key: 'configFile', kind: S, usage: 'Path to the server configuration file; when given, other flags and ETCD_* variables are ignored.' },
  { name: 'version', kind: B, usage: 'Print the version and exit.' },

  { name: 'name', key: 'name', kind: S, section: 'Member', usage: 'Human-readable name for this member.' },
  { name: 'data-dir', key: 'dataDir', kind: S, section: 'Member', usage: 'Path to the data directory.', shownDefault: '${name}.etcd' },
  { name: 'wal-dir', key: 'walDir', kind: S, section: 'Member', usage: 'Path to a dedicated write-ahead-log directory.' },
  { name: 'snapshot-count', key: 'snapshotCount', kind: U, section: 'Member', usage: 'Number of applied entries that triggers a snapshot to disk.' },
  { name: 'heartbeat-interval', key: 'heartbeatIntervalMs', kind: U, section: 'Member', usage: 'Heartbeat interval, in milliseconds.' },
  { name: 'election-timeout', key: 'electionTimeoutMs', kind: U, section: 'Member', usage: 'Election timeout, in milliseconds.' },
  { name: 'initial-election-tick-advance', key: 'initialElectionTickAdvance', kind: B, section: 'Member', usage: 'Fast-forward election ticks on boot so a first election happens sooner.' },
  { name: 'listen-peer-urls', key: 'listenPeerUrls', kind: URLS, section: 'Member', usage: 'URLs to listen on for peer traffic.' },
  { name: 'listen-client-urls', key: 'listenClientUrls', kind: URLS, section: 'Member', usage: 'URLs to listen on for client gRPC traffic, and HTTP unless --listen-client-http-urls is given.' },
  { name: 'listen-client-http-urls', key: 'listenClientHttpUrls', kind: URLS, section: 'Member', usage: 'URLs to listen on for HTTP-only client traffic; when given, --listen-client-urls serve gRPC only.' },
  { name: 'max-snapshots', key: 'maxSnapshots', kind: U, section: 'Member', usage: 'Snapshot files to retain (0 keeps all). Deprecated in etcd 3.6.' },
  { name: 'max-wals', key: 'maxWals', kind: U, section: 'Member', usage: 'WAL files to retain (0 keeps all).' },
  { name: 'memory-mlock', key: 'memoryMlock', kind: B, section: 'Member', usage: 'Keep the backend pages locked in RAM.', notYetAvailable: true },
  { name: 'quota-backend-bytes', key: 'quotaBackendBytes', kind: I, section: 'Member', usage: 'Backend size that raises the NOSPACE alarm (0 means the 2 GiB default).' },
  { name: 'backend-bbolt-freelist-type', key: 'backendBboltFreelistType', kind: S, section: 'Member', usage: "bbolt freelist type ('array' or 'map'); etcd-ts stores in LMDB.", notYetAvailable: true },
  { name: 'backend-batch-interval', key: 'backendBatchIntervalMs', kind: D, section: 'Member', usage: 'Longest time before the backend commits its batch.', shownDefault: '' },
  { name: 'backend-batch-limit', key: 'backendBatchLimit', kind: I, section: 'Member', usage: 'Most operations before the backend commits its batch.' },
  { name: 'max-txn-ops', key: 'maxTxnOps', kind: U, section: 'Member', usage: 'Most operations allowed in one transaction.' },
  { name: 'max-request-bytes', key: 'maxRequestBytes', kind: U, section: 'Member', usage: 'Largest client request, in bytes.' },
  { name: 'watch-progress-notify-interval', key: 'watchProgressNotifyIntervalMs', kind: D, section: 'Member', usage: 'Interval of periodic watch progress notifications (etcd 3.6).' },
  { name: 'emulated-etcd-version', key: 'emulatedEtcdVersion', kind: S, section: 'Member', usage: 'Report and behave as this etcd release where releases differ observably (3.4.23 or 3.6.14); empty: the newest release whose API etcd-ts implements.' },
  { name: 'max-concurrent-streams', key: 'maxConcurrentStreams', kind: { t: 'uint32' }, section: 'Member', usage: 'Most concurrent streams per client connection.', shownDefault: 'math.MaxUint32' },
  { name: 'edge-threads', key: 'edgeThreads', kind: I, section: 'Member', usage: 'Threads serving client connections beside the core thread (gRPC, gateway, HTTP); 0: the core thread serves them; -1: one per available core beyond two, at most 8.', shownDefault: '-1' },
  { name: 'grpc-keepalive-min-time', key: 'grpcKeepaliveMinTimeMs', kind: D, section: 'Member', usage: 'Shortest interval a client should wait between pings.' },
  { name: 'grpc-keepalive-interval', key: 'grpcKeepaliveIntervalMs', kind: D, section: 'Member', usage: 'Interval of server-to-client pings (0 disables).', shownDefault: '2h' },
  { name: 'grpc-keepalive-timeout', key: 'grpcKeepaliveTimeoutMs', kind: D, section: 'Member', usage: 'Wait for a ping answer before closing the connection (0 disables).' },
  { name: 'socket-reuse-port', key: 'socketReusePort', kind: B, section: 'Member', usage: 'Set SO_REUSEPORT on listeners.', notYetAvailable: true },
  { name: 'socket-reuse-address', key: 'socketReuseAddress', kind: B, section: 'Member', usage: 'Set SO_REUSEADDR on listeners.', notYetAvailable: true },
  { name: 'raft-read-timeout', key: 'raftReadTimeoutMs', kind: D, section: 'Member', usage: 'Read timeout on each peer connection.', notYetAvailable: true },
  { name: 'raft-write-timeout', key: 'raftWriteTimeoutMs', kind: D, section: 'Member', usage: 'Write timeout on each peer connection.', notYetAvailable: true },
  { name: 'feature-gates', key: 'featureGates', kind: { t: 'feature-gates' }, section: 'Member', usage: `Comma-separated Name=true|false pairs for server feature gates. Options are:\n    ${knownFeatures().join('\n    ')}`, shownDefault: '' },

  { name: 'initial-advertise-peer-urls', key: 'initialAdvertisePeerUrls', kind: URLS, section: 'Clustering', usage: "This member's peer URLs, as advertised to the rest of the cluster." },
  { name: 'initial-cluster', key: 'initialClusterText', kind: S, section: 'Clustering', usage: 'Initial cluster for bootstrapping, as name=peerURL,...' },
  { name: 'initial-cluster-state', key: 'initialClusterState', kind: { t: 'choice', choices: ['new', 'existing'] }, section: 'Clustering', usage: "Initial cluster state ('new' or 'existing')." },
  { name: 'initial-cluster-token', key: 'initialClusterToken', kind: S, section: 'Clustering', usage: 'Token that keeps separate clusters from talking to each other during bootstrap.' },
  { name: 'advertise-client-urls', key: 'advertiseClientUrls', kind: URLS, section: 'Clustering', usage: "This member's client URLs, as advertised to clients; required when --listen-client-urls is set." },
  { name: 'discovery', key: 'discovery', kind: S, section: 'Clustering', usage: 'Discovery URL used to bootstrap the cluster.', notYetAvailable: true },
  { name: 'discovery-token', key: 'discoveryToken', kind: S, section: 'Clustering', usage: 'v3 discovery: token of the cluster to bootstrap.', notYetAvailable: true },
  { name: 'discovery-endpoints', key: 'discoveryEndpoints', kind: { t: 'unique-strings' }, section: 'Clustering', usage: 'v3 discovery: gRPC endpoints of the discovery service.', notYetAvailable: true },
  { name: 'discovery-dial-timeout', key: 'discoveryDialTimeoutMs', kind: D, section: 'Clustering', usage: 'v3 discovery: dial timeout.', notYetAvailable: true },
  { name: 'discovery-request-timeout', key: 'discoveryRequestTimeoutMs', kind: D, section: 'Clustering', usage: 'v3 discovery: request timeout.', notYetAvailable: true },
  { name: 'discovery-keepalive-time', key: 'discoveryKeepaliveTimeMs', kind: D, section: 'Clustering', usage: 'v3 discovery: keepalive time.', notYetAvailable: true },
  { name: 'discovery-keepalive-timeout', key: 'discoveryKeepaliveTimeoutMs', kind: D, section: 'Clustering', usage: 'v3 discovery: keepalive timeout.', notYetAvailable: true },
  { name: 'discovery-insecure-transport', key: 'discoveryInsecureTransport', kind: B, section: 'Clustering', usage: 'v3 discovery: no TLS to the discovery service.', notYetAvailable: true },
  { name: 'discovery-insecure-skip-tls-verify', key: 'discoveryInsecureSkipTlsVerify', kind: B, section: 'Clustering', usage: "v3 discovery: don't verify the discovery service's certificate.", notYetAvailable: true },
  { name: 'discovery-cert', key: 'discoveryCert', kind: S, section: 'Clustering', usage: 'v3 discovery: client certificate.', notYetAvailable: true },
  { name: 'discovery-key', key: 'discoveryKey', kind: S, section: 'Clustering', usage: 'v3 discovery: client key.', notYetAvailable: true },
  { name: 'discovery-cacert', key: 'discoveryCacert', kind: S, section: 'Clustering', usage: 'v3 discovery: CA bundle.', notYetAvailable: true },
  { name: 'discovery-user', key: 'discoveryUser', kind: S, section: 'Clustering', usage: 'v3 discovery: username[:password].', notYetAvailable: true },
  { name: 'discovery-password', key: 'discoveryPassword', kind: S, section: 'Clustering', usage: 'v3 discovery: password.', notYetAvailable: true },
  { name: 'discovery-fallback', key: 'discoveryFallback', kind: { t: 'choice', choices: ['proxy', 'exit'] }, section: 'Clustering', usage: "What to do when discovery fails ('exit' or 'proxy').", notYetAvailable: true },
  { name: 'discovery-proxy', key: 'discoveryProxy', kind: S, section: 'Clustering', usage: 'HTTP proxy for traffic to the discovery service.', notYetAvailable: true },
  { name: 'discovery-srv', key: 'discoverySrv', kind: S, section: 'Clustering', usage: 'DNS SRV domain used to bootstrap the cluster.', notYetAvailable: true },
  { name: 'discovery-srv-name', key: 'discoverySrvName', kind: S, section: 'Clustering', usage: 'Suffix of the DNS SRV name queried when bootstrapping.', notYetAvailable: true },
  { name: 'strict-reconfig-check', key: 'strictReconfigCheck', kind: B, section: 'Clustering', usage: 'Reject membership changes that would lose quorum.' },
  { name: 'enable-v2', key: 'enableV2', kind: B, section: 'Clustering', usage: 'Serve the etcd v2 API.', notYetAvailable: true },
  { name: 'pre-vote', key: 'preVote', kind: B, section: 'Clustering', usage: 'Run a pre-vote phase before each election.' },
  { name: 'auto-compaction-retention', key: 'autoCompactionRetention', kind: S, section: 'Clustering', usage: 'Auto-compaction retention (0 disables auto-compaction).' },
  { name: 'auto-compaction-mode', key: 'autoCompactionMode', kind: S, section: 'Clustering', usage: "How to read --auto-compaction-retention: 'periodic' (a duration, hours when unitless) or 'revision' (a revision count)." },
  { name: 'v2-deprecation', key: 'v2Deprecation', kind: { t: 'choices', choices: ['write-only', 'write-only-skip-check', 'write-only-drop-data', 'gone'] }, section: 'Clustering', usage: 'Phase of v2store deprecation; etcd-ts has no v2 store, so there is nothing to check or drop.', shownDefault: 'write-only' },

  { name: 'cert-file', key: 'certFile', kind: S, section: 'Security', usage: 'TLS certificate for client connections.' },
  { name: 'key-file', key: 'keyFile', kind: S, section: 'Security', usage: 'TLS key for client connections.' },
  { name: 'client-cert-auth', key: 'clientCertAuth', kind: B, section: 'Security', usage: 'Require client certificates signed by --trusted-ca-file.' },
  { name: 'client-cert-file', key: 'clientCertFile', kind: S, section: 'Security', usage: 'Certificate this member presents when it is itself a client.', notYetAvailable: true },
  { name: 'client-key-file', key: 'clientKeyFile', kind: S, section: 'Security', usage: 'Key of --client-cert-file.', notYetAvailable: true },
  { name: 'client-crl-file', key: 'clientCrlFile', kind: S, section: 'Security', usage: 'Certificate revocation list for client certificates.' },
  { name: 'client-cert-allowed-hostname', key: 'clientCertAllowedHostname', kind: { t: 'strings' }, section: 'Security', usage: 'Comma-separated hostnames of which a client certificate must match one.' },
  { name: 'trusted-ca-file', key: 'trustedCaFile', kind: S, section: 'Security', usage: 'CA bundle that signs client certificates.' },
  { name: 'auto-tls', key: 'autoTls', kind: B, section: 'Security', usage: 'Serve clients over TLS with a generated self-signed certificate.' },
  { name: 'peer-cert-file', key: 'peerCertFile', kind: S, section: 'Security', usage: 'TLS certificate for peer connections.' },
  { name: 'peer-key-file', key: 'peerKeyFile', kind: S, section: 'Security', usage: 'TLS key for peer connections.' },
  { name: 'peer-client-cert-auth', key: 'peerClientCertAuth', kind: B, section: 'Security', usage: 'Require peer certificates signed by --peer-trusted-ca-file.' },
  { name: 'peer-client-cert-file', key: 'peerClientCertFile', kind: S, section: 'Security', usage: 'Certificate this member presents when dialing peers (default: --peer-cert-file).', notYetAvailable: true },
  { name: 'peer-client-key-file', key: 'peerClientKeyFile', kind: S, section: 'Security', usage: 'Key of --peer-client-cert-file.', notYetAvailable: true },
  { name: 'peer-trusted-ca-file', key: 'peerTrustedCaFile', kind: S, section: 'Security', usage: 'CA bundle that signs peer certificates.' },
  { name: 'peer-cert-allowed-cn', key: 'peerCertAllowedCn', kind: { t: 'strings' }, section: 'Security', usage: 'Comma-separated common names of which a peer certificate must carry one.' },
  { name: 'peer-cert-allowed-hostname', key: 'peerCertAllowedHostname', kind: { t: 'strings' }, section: 'Security', usage: 'Comma-separated hostnames of which a peer certificate must match one.' },
  { name: 'peer-auto-tls', key: 'peerAutoTls', kind: B, section: 'Security', usage: 'Talk to peers over TLS with a generated certificate when no peer cert/key are given.' },
  { name: 'self-signed-cert-validity', key: 'selfSignedCertValidity', kind: U, section: 'Security', usage: 'Years the certificates of --auto-tls and --peer-auto-tls are valid.' },
  { name: 'peer-crl-file', key: 'peerCrlFile', kind: S, section: 'Security', usage: 'Certificate revocation list for peer certificates.' },
  { name: 'cipher-suites', key: 'cipherSuites', kind: { t: 'strings' }, section: 'Security', usage: 'Comma-separated TLS cipher suites for clients and peers (empty: the runtime default).' },
  { name: 'cors', key: 'cors', kind: { t: 'cors' }, section: 'Security', usage: 'Comma-separated CORS origins (empty or * allows all).' },
  { name: 'host-whitelist', key: 'hostWhitelist', kind: { t: 'unique-strings' }, section: 'Security', usage: 'Comma-separated Host header values accepted without TLS (empty or * allows all).' },
  { name: 'tls-min-version', key: 'tlsMinVersion', kind: S, section: 'Security', usage: 'Lowest TLS version served and spoken: TLS1.2 or TLS1.3.' },
  { name: 'tls-max-version', key: 'tlsMaxVersion', kind: S, section: 'Security', usage: 'Highest TLS version served and spoken: TLS1.2 or TLS1.3 (empty: the runtime default).' },
  { name: 'experimental-peer-skip-client-san-verification', key: 'peerSkipClientSanVerification', kind: B, section: 'Experimental feature', usage: "Skip SAN checks of client certificates on peer connections. Deprecated in etcd 3.6; use '--peer-skip-client-san-verification'.", notYetAvailable: true },
  { name: 'peer-skip-client-san-verification', key: 'peerSkipClientSanVerification', kind: B, section: 'Experimental feature', usage: 'Skip SAN checks of client certificates on peer connections.', notYetAvailable: true },

  { name: 'auth-token', key: 'authToken', kind: S, section: 'Auth', usage: "Auth token type and options ('simple' or 'jwt,...')." },
  { name: 'bcrypt-cost', key: 'bcryptCost', kind: U, section: 'Auth', usage: 'bcrypt cost for password hashing (4 to 31).' },
  { name: 'auth-token-ttl', key: 'authTokenTtl', kind: U, section: 'Auth', usage: 'Lifetime of a simple auth token, in seconds.' },

  { name: 'enable-pprof', key: 'enablePprof', kind: B, section: 'Profiling and Monitoring', usage: 'Serve runtime profiling data under /debug/pprof/.' },
  { name: 'enable-dashboard', key: 'enableDashboard', kind: B, section: 'Profiling and Monitoring', usage: 'Serve the web dashboard under /dashboard/ on the client URLs, behind the same TLS and auth (etcd-ts only; needs the gRPC gateway).' },
  { name: 'metrics', key: 'metrics', kind: S, section: 'Profiling and Monitoring', usage: "Metrics detail: 'basic' or 'extensive' (adds histograms)." },
  { name: 'listen-metrics-urls', key: 'listenMetricsUrls', kind: URLS, section: 'Profiling and Monitoring', usage: 'Extra URLs serving /metrics and /health.' },

  { name: 'logger', key: 'logger', kind: S, section: 'Logging', usage: "Log format: 'capnslog' or 'zap' (structured)." },
  { name: 'log-outputs', key: 'logOutputs', kind: { t: 'unique-strings' }, section: 'Logging', usage: "Log targets: 'default', 'stderr', 'stdout', or file paths (zap only)." },
  { name: 'log-level', key: 'logLevel', kind: S, section: 'Logging', usage: 'Log level: debug, info, warn, error, panic or fatal.' },
  { name: 'log-format', key: 'logFormat', kind: S, section: 'Logging', usage: "Log line format: 'json' or 'console' (tab-separated, fields as JSON)." },
  { name: 'enable-log-rotation', key: 'enableLogRotation', kind: B, section: 'Logging', usage: 'Rotate the one file given in --log-outputs.', notYetAvailable: true },
  { name: 'log-rotation-config-json', key: 'logRotationConfigJson', kind: S, section: 'Logging', usage: 'Log rotation settings as JSON (maxsize in MB, maxage in days, maxbackups, localtime, compress).', notYetAvailable: true },
  { name: 'warning-unary-request-duration', key: 'warningUnaryRequestDurationMs', kind: D, section: 'Logging', usage: "Unary requests slower than this are logged as 'request stats'.", shownDefault: '300ms' },

  { name: 'experimental-enable-distributed-tracing', key: 'enableDistributedTracing', kind: B, section: 'Experimental distributed tracing', usage: "Enable distributed tracing. Deprecated in etcd 3.6; use '--enable-distributed-tracing'.", notYetAvailable: true },
  { name: 'enable-distributed-tracing', key: 'enableDistributedTracing', kind: B, section: 'Experimental distributed tracing', usage: 'Enable distributed tracing (OpenTelemetry).', notYetAvailable: true },
  { name: 'experimental-distributed-tracing-address', key: 'distributedTracingAddress', kind: S, section: 'Experimental distributed tracing', usage: "Tracing collector address. Deprecated in etcd 3.6; use '--distributed-tracing-address'.", notYetAvailable: true },
  { name: 'distributed-tracing-address', key: 'distributedTracingAddress', kind: S, section: 'Experimental distributed tracing', usage: 'Tracing collector address.', notYetAvailable: true },
  { name: 'experimental-distributed-tracing-service-name', key: 'distributedTracingServiceName', kind: S, section: 'Experimental distributed tracing', usage: "Tracing service name. Deprecated in etcd 3.6; use '--distributed-tracing-service-name'.", notYetAvailable: true },
  { name: 'distributed-tracing-service-name', key: 'distributedTracingServiceName', kind: S, section: 'Experimental distributed tracing', usage: 'Tracing service name, the same on every member.', notYetAvailable: true },
  { name: 'experimental-distributed-tracing-instance-id', key: 'distributedTracingInstanceId', kind: S, section: 'Experimental distributed tracing', usage: "Tracing instance ID. Deprecated in etcd 3.6; use '--distributed-tracing-instance-id'.", notYetAvailable: true },
  { name: 'distributed-tracing-instance-id', key: 'distributedTracingInstanceId', kind: S, section: 'Experimental distributed tracing', usage: 'Tracing instance ID, unique per member.', notYetAvailable: true },
  { name: 'experimental-distributed-tracing-sampling-rate', key: 'distributedTracingSamplingRate', kind: I, section: 'Experimental distributed tracing', usage: "Samples per million spans. Deprecated in etcd 3.6; use '--distributed-tracing-sampling-rate'.", notYetAvailable: true },
  { name: 'distributed-tracing-sampling-rate', key: 'distributedTracingSamplingRate', kind: I, section: 'Experimental distributed tracing', usage: 'Samples per million spans.', notYetAvailable: true },

  { name: 'proxy', key: 'proxy', kind: { t: 'choice', choices: ['off', 'readonly', 'on'] }, section: 'v2 Proxy (to be deprecated in v4)', usage: "v2 proxy mode ('off', 'readonly' or 'on').", notYetAvailable: true },
  { name: 'proxy-failure-wait', key: 'proxyFailureWaitMs', kind: U, section: 'v2 Proxy (to be deprecated in v4)', usage: 'Milliseconds a failed endpoint stays failed.', notYetAvailable: true },
  { name: 'proxy-refresh-interval', key: 'proxyRefreshIntervalMs', kind: U, section: 'v2 Proxy (to be deprecated in v4)', usage: 'Milliseconds between endpoint refreshes.', notYetAvailable: true },
  { name: 'proxy-dial-timeout', key: 'proxyDialTimeoutMs', kind: U, section: 'v2 Proxy (to be deprecated in v4)', usage: 'Dial timeout in milliseconds.', notYetAvailable: true },
  { name: 'proxy-write-timeout', key: 'proxyWriteTimeoutMs', kind: U, section: 'v2 Proxy (to be deprecated in v4)', usage: 'Write timeout in milliseconds.', notYetAvailable: true },
  { name: 'proxy-read-timeout', key: 'proxyReadTimeoutMs', kind: U, section: 'v2 Proxy (to be deprecated in v4)', usage: 'Read timeout in milliseconds.', notYetAvailable: true },

  { name: 'experimental-initial-corrupt-check', key: 'experimentalInitialCorruptCheck', kind: B, section: 'Experimental feature', usage: "Check for data corruption before serving traffic. Deprecated in etcd 3.6; use '--feature-gates=InitialCorruptCheck=true'." },
  { name: 'experimental-corrupt-check-time', key: 'corruptCheckTimeMs', kind: D, section: 'Experimental feature', usage: "Time between cluster corruption checks. Deprecated in etcd 3.6; use '--corrupt-check-time'." },
  { name: 'corrupt-check-time', key: 'corruptCheckTimeMs', kind: D, section: 'Experimental feature', usage: 'Time between cluster corruption checks.' },
  { name: 'experimental-compact-hash-check-enabled', key: 'experimentalCompactHashCheckEnabled', kind: B, section: 'Experimental feature', usage: "Leader checks followers' compaction hashes. Deprecated in etcd 3.6; use '--feature-gates=CompactHashCheck=true'." },
  { name: 'experimental-compact-hash-check-time', key: 'compactHashCheckTimeMs', kind: D, section: 'Experimental feature', usage: "Time between compaction hash checks. Deprecated in etcd 3.6; use '--compact-hash-check-time'." },
  { name: 'compact-hash-check-time', key: 'compactHashCheckTimeMs', kind: D, section: 'Experimental feature', usage: 'Time between compaction hash checks.' },
  { name: 'experimental-enable-v2v3', key: 'experimentalEnableV2v3', kind: S, section: 'Experimental feature', usage: 'Serve v2 requests from the v3 store under this prefix.', notYetAvailable: true },
  { name: 'experimental-backend-bbolt-freelist-type', key: 'experimentalBackendBboltFreelistType', kind: S, section: 'Experimental feature', usage: "bbolt freelist type ('array' or 'map').", notYetAvailable: true },
  { name: 'experimental-enable-lease-checkpoint', key: 'experimentalEnableLeaseCheckpoint', kind: B, section: 'Experimental feature', usage: "Leader checkpoints lease remaining TTLs to followers. Deprecated in etcd 3.6; use '--feature-gates=LeaseCheckpoint=true'.", notYetAvailable: true },
  { name: 'experimental-enable-lease-checkpoint-persist', key: 'experimentalEnableLeaseCheckpointPersist', kind: B, section: 'Experimental feature', usage: "Persist checkpointed lease TTLs. Deprecated in etcd 3.6; use '--feature-gates=LeaseCheckpointPersist=true'.", notYetAvailable: true },
  { name: 'experimental-compaction-batch-limit', key: 'compactionBatchLimit', kind: I, section: 'Experimental feature', usage: "Most revisions deleted per compaction batch. Deprecated in etcd 3.6; use '--compaction-batch-limit'.", notYetAvailable: true },
  { name: 'compaction-batch-limit', key: 'compactionBatchLimit', kind: I, section: 'Experimental feature', usage: 'Most revisions deleted per compaction batch.', notYetAvailable: true },
  { name: 'experimental-compaction-sleep-interval', key: 'compactionSleepIntervalMs', kind: D, section: 'Experimental feature', usage: "Pause between compaction batches. Deprecated in etcd 3.6; use '--compaction-sleep-interval'.", notYetAvailable: true },
  { name: 'compaction-sleep-interval', key: 'compactionSleepIntervalMs', kind: D, section: 'Experimental feature', usage: 'Pause between compaction batches.', notYetAvailable: true },
  { name: 'experimental-watch-progress-notify-interval', key: 'experimentalWatchProgressNotifyIntervalMs', kind: D, section: 'Experimental feature', usage: "Interval of watch progress notifications. Deprecated in etcd 3.6; use '--watch-progress-notify-interval'." },
  { name: 'experimental-warning-apply-duration', key: 'warningApplyDurationMs', kind: D, section: 'Experimental feature', usage: "Apply time above which a warning is logged. Deprecated in etcd 3.6; use '--warning-apply-duration'." },
  { name: 'warning-apply-duration', key: 'warningApplyDurationMs', kind: D, section: 'Experimental feature', usage: "Apply time above which 'apply request took too long' is logged." },
  { name: 'experimental-txn-mode-write-with-shared-buffer', key: 'experimentalTxnModeWriteWithSharedBuffer', kind: B, section: 'Experimental feature', usage: "Write txns read through the shared buffer (always so in etcd-ts). Deprecated in etcd 3.6; use '--feature-gates=TxnModeWriteWithSharedBuffer=true'." },
  { name: 'experimental-bootstrap-defrag-threshold-megabytes', key: 'bootstrapDefragThresholdMegabytes', kind: U, section: 'Experimental feature', usage: "Defragment at startup when that frees at least this many MB. Deprecated in etcd 3.6; use '--bootstrap-defrag-threshold-megabytes'." },
  { name: 'bootstrap-defrag-threshold-megabytes', key: 'bootstrapDefragThresholdMegabytes', kind: U, section: 'Experimental feature', usage: 'Defragment at startup when that frees at least this many MB.' },
  { name: 'experimental-warning-unary-request-duration', key: 'experimentalWarningUnaryRequestDurationMs', kind: D, section: 'Experimental feature', usage: "Unary requests slower than this are logged. Deprecated in etcd 3.6; use '--warning-unary-request-duration'.", shownDefault: '0s' },
  { name: 'max-learners', key: 'maxLearners', kind: I, section: 'Experimental feature', usage: 'Most learner members the cluster may have.' },
  { name: 'experimental-memory-mlock', key: 'memoryMlock', kind: B, section: 'Experimental feature', usage: "Keep the backend pages locked in RAM. Deprecated in etcd 3.6; use '--memory-mlock'.", notYetAvailable: true },
  { name: 'experimental-snapshot-catchup-entries', key: 'snapshotCatchupEntries', kind: U, section: 'Experimental feature', usage: "Log entries kept for slow followers after a snapshot. Deprecated in etcd 3.6; use '--snapshot-catchup-entries'." },
  { name: 'snapshot-catchup-entries', key: 'snapshotCatchupEntries', kind: U, section: 'Experimental feature', usage: 'Log entries kept for slow followers after a snapshot.' },
  { name: 'experimental-downgrade-check-time', key: 'downgradeCheckTimeMs', kind: D, section: 'Experimental feature', usage: "Time between downgrade status checks. Deprecated in etcd 3.6; use '--downgrade-check-time'." },
  { name: 'downgrade-check-time', key: 'downgradeCheckTimeMs', kind: D, section: 'Experimental feature', usage: 'Time between downgrade status checks.' },
  { name: 'experimental-stop-grpc-service-on-defrag', key: 'experimentalStopGrpcServiceOnDefrag', kind: B, section: 'Experimental feature', usage: "Stop serving gRPC while defragmenting. Deprecated in etcd 3.6; use '--feature-gates=StopGRPCServiceOnDefrag=true'.", notYetAvailable: true },

  { name: 'enable-grpc-gateway', key: 'enableGrpcGateway', kind: B, usage: 'Serve the JSON gRPC gateway.' },
  { name: 'unsafe-no-fsync', key: 'unsafeNoFsync', kind: B, section: 'Unsafe feature', usage: 'Never fsync (loses data on a crash).' },
  { name: 'force-new-cluster', key: 'forceNewCluster', kind: B, section: 'Unsafe feature', usage: 'Restart as a one-member cluster, dropping the other members.', notYetAvailable: true },

  { name: 'debug', key: 'debug', kind: B, section: 'To be deprecated', usage: "Debug-level logging; use '--log-level=debug'." },
  { name: 'log-package-levels', key: 'logPackageLevels', kind: S, section: 'To be deprecated', usage: "Per-package log levels (e.g. 'etcdmain=CRITICAL,etcdserver=DEBUG')." },
  { name: 'log-output', key: 'logOutput', kind: { t: 'unique-strings' }, usage: "Deprecated; use '--log-outputs'." },

  // Flags of old etcd releases that etcd 3.4 still accepts and ignores with a warning.
  ...[
    'cluster-active-size',
    'cluster-remove-delay',
    'cluster-sync-interval',
    'config',
    'force',
    'max-result-buffer',
    'max-retry-attempts',
    'peer-heartbeat-interval',
    'peer-election-timeout',
    'retry-interval',
    'snapshot',
    'v',
    'vv',
    'test.coverprofile',
    'test.outputdir',
  ].map((name): FlagSpec => ({ name, kind: { t: 'ignored' }, usage: '' })),
];

export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.name, f]));

/** ETCD_FOO_BAR for --foo-bar, as etcd derives it. */
export function flagToEnv(name: string): string {
  return 'ETCD_' + name.replaceAll('-', '_').toUpperCase();
}
