import type { EtcdConfig } from './types.js';

export const DEFAULT_NAME = 'default';
export const DEFAULT_LISTEN_PEER_URLS = 'http://localhost:2380';
export const DEFAULT_LISTEN_CLIENT_URLS = 'http://localhost:2379';
export const DEFAULT_INITIAL_ADVERTISE_PEER_URLS = 'http://localhost:2380';
export const DEFAULT_ADVERTISE_CLIENT_URLS = 'http://localhost:2379';
/** The initial cluster etcd derives from the default name and advertise peer URL. */
export const DEFAULT_INITIAL_CLUSTER = `${DEFAULT_NAME}=${DEFAULT_INITIAL_ADVERTISE_PEER_URLS}`;
/** etcd's backend quota when --quota-backend-bytes is 0. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_ELECTION_MS = 50_000;

/** etcd 3.6's --log-rotation-config-json default. */
export const DEFAULT_LOG_ROTATION_CONFIG = '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}';

/**
 * --edge-threads -1: a thread per core beyond two, at most 8. One core is the core
 * thread's; the next is already busy with what every member needs beside it (the
 * kernel's side of the connections, the WAL's fsyncs on libuv's pool, V8's GC
 * helpers): on 2 cores an edge thread only competes with them, and etcd's benchmark
 * measured the core thread serving clients itself faster with less CPU per request
 * (ARCHITECTURE.md, "Threads").
 */
export function defaultEdgeThreads(cores: number): number {
  return Math.min(Math.max(cores - 2, 0), 8);
}

/**
 * etcd 3.4's defaults, before flags, environment or a config file apply; flags only 3.6
 * has take 3.6's defaults.
 */
export function defaultConfig(): EtcdConfig {
  return {
    configFile: '',
    name: DEFAULT_NAME,
    dataDir: '',
    walDir: '',
    snapshotCount: 100_000,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    initialElectionTickAdvance: true,
    listenPeerUrls: [new URL(DEFAULT_LISTEN_PEER_URLS)],
    listenClientUrls: [new URL(DEFAULT_LISTEN_CLIENT_URLS)],
    listenClientHttpUrls: [],
    maxSnapshots: 5,
    maxWals: 5,
    quotaBackendBytes: 0,
    backendBatchIntervalMs: 0,
    backendBatchLimit: 0,
    maxTxnOps: 128,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxConcurrentStreams: 0xffff_ffff,
    edgeThreads: -1,
    grpcKeepaliveMinTimeMs: 5_000,
    grpcKeepaliveIntervalMs: 2 * 3_600_000,
    grpcKeepaliveTimeoutMs: 20_000,
    watchProgressNotifyIntervalMs: 10 * 60_000,
    emulatedEtcdVersion: '',
    memoryMlock: false,
    backendBboltFreelistType: 'map',
    socketReusePort: false,
    socketReuseAddress: false,
    raftReadTimeoutMs: 5_000,
    raftWriteTimeoutMs: 5_000,
    featureGates: {},

    initialAdvertisePeerUrls: [new URL(DEFAULT_INITIAL_ADVERTISE_PEER_URLS)],
    initialCluster: new Map(),
    initialClusterText: DEFAULT_INITIAL_CLUSTER,
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    advertiseClientUrls: [new URL(DEFAULT_ADVERTISE_CLIENT_URLS)],
    discovery: '',
    discoveryFallback: 'proxy',
    discoveryProxy: '',
    discoverySrv: '',
    discoverySrvName: '',
    strictReconfigCheck: true,
    preVote: false,
    autoCompactionRetention: '0',
    autoCompactionMode: 'periodic',
    enableV2: false,
    v2Deprecation: '',
    discoveryToken: '',
    discoveryEndpoints: [],
    discoveryDialTimeoutMs: 2_000,
    discoveryRequestTimeoutMs: 5_000,
    discoveryKeepaliveTimeMs: 2_000,
    discoveryKeepaliveTimeoutMs: 6_000,
    discoveryInsecureTransport: true,
    discoveryInsecureSkipTlsVerify: false,
    discoveryCert: '',
    discoveryKey: '',
    discoveryCacert: '',
    discoveryUser: '',
    discoveryPassword: '',

    certFile: '',
    keyFile: '',
    clientCertAuth: false,
    clientCertFile: '',
    clientKeyFile: '',
    clientCrlFile: '',
    clientCertAllowedHostname: [],
    trustedCaFile: '',
    autoTls: false,
    peerCertFile: '',
    peerKeyFile: '',
    peerClientCertAuth: false,
    peerClientCertFile: '',
    peerClientKeyFile: '',
    peerTrustedCaFile: '',
    peerCertAllowedCn: [],
    peerCertAllowedHostname: [],
    peerSkipClientSanVerification: false,
    selfSignedCertValidity: 1,
    tlsMinVersion: 'TLS1.2',
    tlsMaxVersion: '',
    peerAutoTls: false,
    peerCrlFile: '',
    cipherSuites: [],
    cors: ['*'],
    hostWhitelist: ['*'],

    authToken: 'simple',
    bcryptCost: 10,
    authTokenTtl: 300,

    enablePprof: false,
    enableDashboard: false,
    metrics: 'basic',
    listenMetricsUrls: [],

    logger: 'capnslog',
    logOutputs: ['default'],
    logOutput: ['default'],
    logLevel: 'info',
    logFormat: 'json',
    enableLogRotation: false,
    logRotationConfigJson: DEFAULT_LOG_ROTATION_CONFIG,
    debug: false,
    logPackageLevels: '',

    proxy: 'off',
    proxyFailureWaitMs: 5000,
    proxyRefreshIntervalMs: 30000,
    proxyDialTimeoutMs: 1000,
    proxyWriteTimeoutMs: 5000,
    proxyReadTimeoutMs: 0,

    enableDistributedTracing: false,
    distributedTracingAddress: 'localhost:4317',
    distributedTracingServiceName: 'etcd',
    distributedTracingInstanceId: '',
    distributedTracingSamplingRate: 0,

    corruptCheckTimeMs: 0,
    compactHashCheckTimeMs: 60_000,
    compactionBatchLimit: 1000,
    compactionSleepIntervalMs: 0,
    warningApplyDurationMs: 100,
    bootstrapDefragThresholdMegabytes: 0,
    snapshotCatchupEntries: 5000,
    downgradeCheckTimeMs: 5_000,
    warningUnaryRequestDurationMs: 0,
    experimentalWarningUnaryRequestDurationMs: 0,
    maxLearners: 1,

    experimentalInitialCorruptCheck: false,
    experimentalCompactHashCheckEnabled: false,
    experimentalEnableLeaseCheckpoint: false,
    experimentalEnableLeaseCheckpointPersist: false,
    experimentalTxnModeWriteWithSharedBuffer: true,
    experimentalStopGrpcServiceOnDefrag: false,

    experimentalEnableV2v3: '',
    experimentalBackendBboltFreelistType: 'array',
    experimentalWatchProgressNotifyIntervalMs: 10 * 60_000,

    enableGrpcGateway: true,
    unsafeNoFsync: false,
    forceNewCluster: false,
  };
}
