import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { setFeatureGates } from './feature-gates.js';
import { urlList } from './flag-kinds.js';
import { DEFAULT_INITIAL_CLUSTER } from './defaults.js';
import { parseGoDuration } from './go-values.js';
import type { EtcdConfig } from './types.js';

/** Why a config file was refused; `verifying` errors are reported like flag verification errors. */
export type FileOutcome = { kind: 'ok' } | { kind: 'error'; message: string; verifying: boolean };

type GoType = 'string' | 'bool' | 'uint' | 'uint32' | 'uint64' | 'int' | 'int64' | 'time.Duration' | '[]string';


interface YamlField {
  type: GoType;
  apply: (cfg: EtcdConfig, v: unknown) => string | undefined;
}

class TypeMismatch extends Error {}

function field<K extends keyof EtcdConfig>(key: K, type: GoType): YamlField {
  return {
    type,
    apply: (cfg, v) => {
      (cfg as unknown as Record<string, unknown>)[key] = v;
      return undefined;
    },
  };
}

// A URL list is written as one comma-separated string; etcd exits on a bad one without the usual prefix.
function urls<K extends keyof EtcdConfig>(key: K, label: string): YamlField {
  return {
    type: 'string',
    apply: (cfg, v) => {
      if (v === '') return undefined;
      const r = urlList(v as string);
      if ('error' in r) return `unexpected error setting up ${label}: ${r.error}`;
      (cfg as unknown as Record<string, unknown>)[key] = r.value;
      return undefined;
    },
  };
}

function choice<K extends keyof EtcdConfig>(key: K, choices: string[], label: string): YamlField {
  return {
    type: 'string',
    apply: (cfg, v) => {
      if (v === '') return undefined;
      if (!choices.includes(v as string)) return `unexpected error setting up ${label}: invalid value`;
      (cfg as unknown as Record<string, unknown>)[key] = v;
      return undefined;
    },
  };
}

const TOP_LEVEL: Record<string, YamlField> = {
  name: field('name', 'string'),
  'data-dir': field('dataDir', 'string'),
  'wal-dir': field('walDir', 'string'),
  'snapshot-count': field('snapshotCount', 'uint64'),
  'max-snapshots': field('maxSnapshots', 'uint'),
  'max-wals': field('maxWals', 'uint'),
  'heartbeat-interval': field('heartbeatIntervalMs', 'uint'),
  'election-timeout': field('electionTimeoutMs', 'uint'),
  'initial-election-tick-advance': field('initialElectionTickAdvance', 'bool'),
  'backend-batch-interval': field('backendBatchIntervalMs', 'time.Duration'),
  'backend-batch-limit': field('backendBatchLimit', 'int'),
  'quota-backend-bytes': field('quotaBackendBytes', 'int64'),
  'max-txn-ops': field('maxTxnOps', 'uint'),
  'max-request-bytes': field('maxRequestBytes', 'uint'),
  'max-concurrent-streams': field('maxConcurrentStreams', 'uint32'),
  'edge-threads': field('edgeThreads', 'int'),
  'cipher-suites': field('cipherSuites', '[]string'),
  'initial-cluster-state': field('initialClusterState', 'string'),
  'discovery-srv': field('discoverySrv', 'string'),
  'discovery-srv-name': field('discoverySrvName', 'string'),
  'discovery-proxy': field('discoveryProxy', 'string'),
  discovery: field('discovery', 'string'),
  'initial-cluster': field('initialClusterText', 'string'),
  'initial-cluster-token': field('initialClusterToken', 'string'),
  'strict-reconfig-check': field('strictReconfigCheck', 'bool'),
  'enable-v2': field('enableV2', 'bool'),
  'auto-compaction-mode': field('autoCompactionMode', 'string'),
  'auto-compaction-retention': field('autoCompactionRetention', 'string'),
  'grpc-keepalive-min-time': field('grpcKeepaliveMinTimeMs', 'time.Duration'),
  'grpc-keepalive-interval': field('grpcKeepaliveIntervalMs', 'time.Duration'),
  'grpc-keepalive-timeout': field('grpcKeepaliveTimeoutMs', 'time.Duration'),
  'pre-vote': field('preVote', 'bool'),
  'auth-token': field('authToken', 'string'),
  'bcrypt-cost': field('bcryptCost', 'uint'),
  'auth-token-ttl': field('authTokenTtl', 'uint'),
  'experimental-initial-corrupt-check': field('experimentalInitialCorruptCheck', 'bool'),
  'experimental-corrupt-check-time': field('corruptCheckTimeMs', 'time.Duration'),
  'corrupt-check-time': field('corruptCheckTimeMs', 'time.Duration'),
  'experimental-compact-hash-check-enabled': field('experimentalCompactHashCheckEnabled', 'bool'),
  'experimental-compact-hash-check-time': field('compactHashCheckTimeMs', 'time.Duration'),
  'compact-hash-check-time': field('compactHashCheckTimeMs', 'time.Duration'),
  'experimental-enable-v2v3': field('experimentalEnableV2v3', 'string'),
  'experimental-backend-bbolt-freelist-type': field('experimentalBackendBboltFreelistType', 'string'),
  'backend-bbolt-freelist-type': field('backendBboltFreelistType', 'string'),
  'experimental-enable-lease-checkpoint': field('experimentalEnableLeaseCheckpoint', 'bool'),
  'experimental-enable-lease-checkpoint-persist': field('experimentalEnableLeaseCheckpointPersist', 'bool'),
  'experimental-compaction-batch-limit': field('compactionBatchLimit', 'int'),
  'compaction-batch-limit': field('compactionBatchLimit', 'int'),
  'experimental-compaction-sleep-interval': field('compactionSleepIntervalMs', 'time.Duration'),
  'compaction-sleep-interval': field('compactionSleepIntervalMs', 'time.Duration'),
  'experimental-watch-progress-notify-interval': field('experimentalWatchProgressNotifyIntervalMs', 'time.Duration'),
  'watch-progress-notify-interval': field('watchProgressNotifyIntervalMs', 'time.Duration'),
  'emulated-etcd-version': field('emulatedEtcdVersion', 'string'),
  'experimental-warning-apply-duration': field('warningApplyDurationMs', 'time.Duration'),
  'warning-apply-duration': field('warningApplyDurationMs', 'time.Duration'),
  'experimental-warning-unary-request-duration': field('experimentalWarningUnaryRequestDurationMs', 'time.Duration'),
  'warning-unary-request-duration': field('warningUnaryRequestDurationMs', 'time.Duration'),
  'experimental-txn-mode-write-with-shared-buffer': field('experimentalTxnModeWriteWithSharedBuffer', 'bool'),
  'experimental-stop-grpc-service-on-defrag': field('experimentalStopGrpcServiceOnDefrag', 'bool'),
  'experimental-bootstrap-defrag-threshold-megabytes': field('bootstrapDefragThresholdMegabytes', 'uint'),
  'bootstrap-defrag-threshold-megabytes': field('bootstrapDefragThresholdMegabytes', 'uint'),
  'experimental-memory-mlock': field('memoryMlock', 'bool'),
  'memory-mlock': field('memoryMlock', 'bool'),
  // etcd 3.6 reads the experimental name of this one with dashes in "catch-up".
  'experimental-snapshot-catch-up-entries': field('snapshotCatchupEntries', 'uint64'),
  'snapshot-catchup-entries': field('snapshotCatchupEntries', 'uint64'),
  'experimental-downgrade-check-time': field('downgradeCheckTimeMs', 'time.Duration'),
  'downgrade-check-time': field('downgradeCheckTimeMs', 'time.Duration'),
  'experimental-peer-skip-client-san-verification': field('peerSkipClientSanVerification', 'bool'),
  'max-learners': field('maxLearners', 'int'),
  'feature-gates': {
    type: 'string',
    apply: (cfg, v) => {
      const r = setFeatureGates(v as string, cfg.featureGates);
      if ('error' in r) return r.error;
      cfg.featureGates = r.value;
      return undefined;
    },
  },
  'tls-min-version': field('tlsMinVersion', 'string'),
  'tls-max-version': field('tlsMaxVersion', 'string'),
  'log-format': field('logFormat', 'string'),
  'enable-log-rotation': field('enableLogRotation', 'bool'),
  'log-rotation-config-json': field('logRotationConfigJson', 'string'),
  'self-signed-cert-validity': field('selfSignedCertValidity', 'uint'),
  'v2-deprecation': field('v2Deprecation', 'string'),
  'enable-distributed-tracing': field('enableDistributedTracing', 'bool'),
  'experimental-enable-distributed-tracing': field('enableDistributedTracing', 'bool'),
  'distributed-tracing-address': field('distributedTracingAddress', 'string'),
  'experimental-distributed-tracing-address': field('distributedTracingAddress', 'string'),
  'distributed-tracing-service-name': field('distributedTracingServiceName', 'string'),
  'experimental-distributed-tracing-service-name': field('distributedTracingServiceName', 'string'),
  'distributed-tracing-instance-id': field('distributedTracingInstanceId', 'string'),
  'experimental-distributed-tracing-instance-id': field('distributedTracingInstanceId', 'string'),
  'distributed-tracing-sampling-rate': field('distributedTracingSamplingRate', 'int'),
  'experimental-distributed-tracing-sampling-rate': field('distributedTracingSamplingRate', 'int'),
  'force-new-cluster': field('forceNewCluster', 'bool'),
  'enable-pprof': field('enablePprof', 'bool'),
  'enable-dashboard': field('enableDashboard', 'bool'),
  metrics: field('metrics', 'string'),
  logger: field('logger', 'string'),
  'log-level': field('logLevel', 'string'),
  'log-outputs': field('logOutputs', '[]string'),
  'log-output': field('logOutput', '[]string'),
  debug: field('debug', 'bool'),
  'log-package-levels': field('logPackageLevels', 'string'),
  'enable-grpc-gateway': field('enableGrpcGateway', 'bool'),
  'unsafe-no-fsync': field('unsafeNoFsync', 'bool'),
  'listen-peer-urls': urls('listenPeerUrls', 'listen-peer-urls'),
  'listen-client-urls': urls('listenClientUrls', 'listen-client-urls'),
  'listen-client-http-urls': urls('listenClientHttpUrls', 'listen-client-http-urls'),
  'initial-advertise-peer-urls': urls('initialAdvertisePeerUrls', 'initial-advertise-peer-urls'),
  // etcd names the wrong flag in this one message; kept so operators' log searches still match.
  'advertise-client-urls': urls('advertiseClientUrls', 'advertise-peer-urls'),
  'listen-metrics-urls': urls('listenMetricsUrls', 'listen-metrics-urls'),
  cors: {
    type: 'string',
    apply: (cfg, v) => {
      if (v !== '') cfg.cors = [...new Set((v as string).split(',').map((s) => s.trim()))].sort();
      return undefined;
    },
  },
  'host-whitelist': {
    type: 'string',
    apply: (cfg, v) => {
      if (v !== '') cfg.hostWhitelist = [...new Set((v as string).split(','))].sort();
      return undefined;
    },
  },
  proxy: choice('proxy', ['off', 'readonly', 'on'], 'proxyFlag'),
  'discovery-fallback': choice('discoveryFallback', ['exit', 'proxy'], 'discovery-fallback flag'),
  'proxy-failure-wait': field('proxyFailureWaitMs', 'uint'),
  'proxy-refresh-interval': field('proxyRefreshIntervalMs', 'uint'),
  'proxy-dial-timeout': field('proxyDialTimeoutMs', 'uint'),
  'proxy-write-timeout': field('proxyWriteTimeoutMs', 'uint'),
  'proxy-read-timeout': field('proxyReadTimeoutMs', 'uint'),
};

type SecurityField = 'certFile' | 'keyFile' | 'clientCertFile' | 'clientKeyFile' | 'clientCertAuth' | 'trustedCaFile' | 'autoTls' | 'allowedCn' | 'allowedHostname';

/** Where each security-section field lands, per section; absent: no such setting for that side. */
const SECTIONS: Record<string, Partial<Record<SecurityField, keyof EtcdConfig>>> = {
  'client-transport-security': {
    certFile: 'certFile',
    keyFile: 'keyFile',
    clientCertFile: 'clientCertFile',
    clientKeyFile: 'clientKeyFile',
    clientCertAuth: 'clientCertAuth',
    trustedCaFile: 'trustedCaFile',
    autoTls: 'autoTls',
    allowedHostname: 'clientCertAllowedHostname',
  },
  'peer-transport-security': {
    certFile: 'peerCertFile',
    keyFile: 'peerKeyFile',
    clientCertFile: 'peerClientCertFile',
    clientKeyFile: 'peerClientKeyFile',
    clientCertAuth: 'peerClientCertAuth',
    trustedCaFile: 'peerTrustedCaFile',
    autoTls: 'peerAutoTls',
    allowedCn: 'peerCertAllowedCn',
    allowedHostname: 'peerCertAllowedHostname',
  },
};

const SECTION_FIELDS: Record<string, [SecurityField, GoType]> = {
  'cert-file': ['certFile', 'string'],
  'key-file': ['keyFile', 'string'],
  'client-cert-file': ['clientCertFile', 'string'],
  'client-key-file': ['clientKeyFile', 'string'],
  'client-cert-auth': ['clientCertAuth', 'bool'],
  'trusted-ca-file': ['trustedCaFile', 'string'],
  'auto-tls': ['autoTls', 'bool'],
  'allowed-cn': ['allowedCn', '[]string'],
  'allowed-hostname': ['allowedHostname', '[]string'],
};

const SECURITY_DEFAULTS: Record<SecurityField, unknown> = {
  certFile: '',
  keyFile: '',
  clientCertFile: '',
  clientKeyFile: '',
  clientCertAuth: false,
  trustedCaFile: '',
  autoTls: false,
  allowedCn: [],
  allowedHostname: [],
};

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : 'string';
}

const INT_RANGE: Partial<Record<GoType, [number, number]>> = {
  uint: [0, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint32: [0, 0xffff_ffff],
  int: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Converts a decoded YAML value to the Go type etcd declares, as encoding/json would; throws TypeMismatch. */
function coerce(v: unknown, type: GoType, path: string): unknown {
  const mismatch = (what: string, t: string = type) =>
    new TypeMismatch(`json: cannot unmarshal ${what} into Go struct field configYAML.${path} of type ${t}`);
  const range = INT_RANGE[type];
  if (range !== undefined) {
    if (typeof v !== 'number') throw mismatch(jsonKind(v));
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) throw mismatch(`number ${v}`);
    return v;
  }
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw mismatch(jsonKind(v));
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw mismatch(jsonKind(v));
      return v;
    case 'time.Duration': {
      // etcd reads a duration as integer nanoseconds; a Go duration string ("5s") is also taken.
      if (typeof v === 'number' && Number.isInteger(v)) return v / 1e6;
      if (typeof v === 'string') {
        const ms = parseGoDuration(v);
        if (ms !== undefined) return ms;
      }
      throw mismatch(typeof v === 'number' ? `number ${v}` : jsonKind(v));
    }
    case '[]string':
      if (!Array.isArray(v)) throw mismatch(jsonKind(v));
      return v.map((e) => {
        if (typeof e !== 'string') throw mismatch(jsonKind(e), 'string');
        return e;
      });
    default:
      throw new Error(`unhandled type ${type}`);
  }
}

function readError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `open ${path}: no such file or directory`;
  if (code === 'EACCES') return `open ${path}: permission denied`;
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  return `open ${path}: ${(err as Error).message}`;
}

/**
 * Loads etcd's YAML configuration file over the defaults in `cfg`, as embed.ConfigFromFile does;
 * the flag names its keys stand for go into `explicitlySet` (3.6's FlagsExplicitlySet).
 */
export function loadConfigFile(path: string, cfg: EtcdConfig, warnings: string[], explicitlySet: Set<string> = new Set()): FileOutcome {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { kind: 'error', message: readError(path, err), verifying: true };
  }
  // go-yaml reads YAML 1.1, where yes/no/on/off are booleans.
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) {
    return { kind: 'error', message: `error converting YAML to JSON: yaml: ${doc.errors[0].message.split('\n')[0]}`, verifying: true };
  }
  const root: unknown = doc.toJS() ?? {};
  if (typeof root !== 'object' || Array.isArray(root)) {
    return { kind: 'error', message: `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(root)} into Go value of type embed.configYAML`, verifying: true };
  }

  const deferred: Array<() => string | undefined> = [];
  let firstMismatch: string | undefined;
  const tls = { client: {} as Record<string, unknown>, peer: {} as Record<string, unknown> };
  for (const [rawKey, value] of Object.entries(root as Record<string, unknown>)) {
    // encoding/json matches keys without regard to case.
    const key = rawKey.toLowerCase();
    if (value === null) continue;
    // 3.6 counts every key given as explicitly set, under the flag name it stands for.
    explicitlySet.add(key === 'experimental-snapshot-catch-up-entries' ? 'experimental-snapshot-catchup-entries' : key);
    try {
      if (key in SECTIONS) {
        if (typeof value !== 'object' || Array.isArray(value)) throw new TypeMismatch(`json: cannot unmarshal ${jsonKind(value)} into Go struct field configYAML.${key} of type embed.securityConfig`);
        const into = key === 'client-transport-security' ? tls.client : tls.peer;
        for (const [subKey, subValue] of Object.entries(value as Record<string, unknown>)) {
          const spec = SECTION_FIELDS[subKey.toLowerCase()];
          if (spec === undefined || subValue === null) continue;
          if (key === 'peer-transport-security') explicitlySet.add(`peer-${subKey.toLowerCase()}`);
          into[spec[0]] = coerce(subValue, spec[1], `${key}.${subKey.toLowerCase()}`);
        }
        continue;
      }
      const spec = TOP_LEVEL[key];
      if (spec === undefined) {
        warnings.push(`unrecognized configuration file key ${JSON.stringify(rawKey)} in ${path}`);
        continue;
      }
      const v = coerce(value, spec.type, key);
      deferred.push(() => spec.apply(cfg, v));
    } catch (err) {
      if (!(err instanceof TypeMismatch)) throw err;
      firstMismatch ??= err.message;
    }
  }
  if (firstMismatch !== undefined) {
    return { kind: 'error', message: `error unmarshaling JSON: while decoding JSON: ${firstMismatch}`, verifying: true };
  }
  for (const apply of deferred) {
    const why = apply();
    if (why !== undefined) return { kind: 'error', message: why, verifying: false };
  }

  // etcd takes the TLS settings only from the two transport-security sections.
  for (const [section, values] of [
    ['client-transport-security', tls.client],
    ['peer-transport-security', tls.peer],
  ] as const) {
    const c = cfg as unknown as Record<string, unknown>;
    for (const [fieldName, key] of Object.entries(SECTIONS[section])) {
      const f = fieldName as SecurityField;
      c[key] = values[f] ?? SECURITY_DEFAULTS[f];
    }
  }
  if ((cfg.discovery !== '' || cfg.discoverySrv !== '') && cfg.initialClusterText === DEFAULT_INITIAL_CLUSTER) {
    cfg.initialClusterText = '';
  }
  if ((cfg.initialClusterState as string) === '') cfg.initialClusterState = 'new';
  return { kind: 'ok' };
}
