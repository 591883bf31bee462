import { isIP } from 'node:net';
import { MAX_ELECTION_MS } from './defaults.js';
import { featureEnabled } from './feature-gates.js';
import { formatGoDuration, goQuote, hostPort, urlString } from './go-values.js';
import { graduatedConflict } from './graduated.js';
import type { EtcdConfig } from './types.js';
import { EtcdRelease } from '../version/index.js';

export const ERR_CONFLICT_BOOTSTRAP_FLAGS =
  'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery" or "discovery-srv"';
export const ERR_UNSET_ADVERTISE_CLIENT_URLS = '--advertise-client-urls is required when --listen-client-urls is set explicitly';

function quoteList(xs: readonly string[]): string {
  return `[${xs.map(goQuote).join(' ')}]`;
}

// The logging part of etcd's validation: which logger, and where it may write.
function validateLogging(cfg: EtcdConfig, warnings: string[]): string | undefined {
  const isDefault = (xs: readonly string[]) => xs.length === 1 && xs[0] === 'default';
  if (!isDefault(cfg.logOutput)) {
    if (!isDefault(cfg.logOutputs)) {
      return `'--log-output=${quoteList(cfg.logOutput)}' and '--log-outputs=${quoteList(cfg.logOutputs)}' are incompatible; only set --log-outputs`;
    }
    warnings.push(`Deprecated '--log-output' flag is set to ${quoteList(cfg.logOutput)}; use '--log-outputs'`);
    cfg.logOutputs = [...cfg.logOutput];
  }
  if (cfg.debug) warnings.push(`Deprecated '--debug' flag is set to true (use '--log-level=debug' instead)`);
  if (cfg.logPackageLevels !== '') warnings.push(`Deprecated '--log-package-levels=${cfg.logPackageLevels}' flag is set; use '--logger=zap' flag instead`);
  if (!['json', 'console', ''].includes(cfg.logFormat)) return `unknown log format: ${cfg.logFormat}, supported values json, console`;
  switch (cfg.logger) {
    case 'capnslog': {
      if (cfg.logOutputs.length !== 1) return `--logger=capnslog supports only 1 value in '--log-outputs', got ${quoteList(cfg.logOutputs)}`;
      const out = cfg.logOutputs[0];
      if (!['default', 'stderr', 'stdout'].includes(out)) return `unknown log-output ${goQuote(out)} (only supports "default", "stderr", "stdout")`;
      return undefined;
    }
    case 'zap':
      if (cfg.logOutputs.length > 1 && cfg.logOutputs.includes('default')) return 'multi logoutput for "default" is not supported yet';
      return undefined;
    default:
      return `unknown logger option ${goQuote(cfg.logger)}`;
  }
}

// Listeners bind to an IP (or localhost, or a unix socket): a hostname would be ambiguous.
function checkBindUrls(urls: readonly URL[]): string | undefined {
  for (const u of urls) {
    if (u.protocol === 'unix:' || u.protocol === 'unixs:') continue;
    const { host } = hostPort(u);
    if (host === 'localhost') continue;
    if (isIP(host) === 0) return `expected IP in URL for binding (${urlString(u)})`;
  }
  return undefined;
}

const TLS_VERSIONS: Record<string, number> = { '': 0, 'TLS1.2': 0x0303, 'TLS1.3': 0x0304 };

/** etcd 3.6's checks of --tls-min-version and --tls-max-version. */
function validateTlsVersions(cfg: EtcdConfig): string | undefined {
  for (const v of [cfg.tlsMinVersion, cfg.tlsMaxVersion]) {
    if (!(v in TLS_VERSIONS)) return `unexpected TLS version ${goQuote(v)} (must be one of: TLS1.2, TLS1.3)`;
  }
  const min = TLS_VERSIONS[cfg.tlsMinVersion];
  const max = TLS_VERSIONS[cfg.tlsMaxVersion];
  if (max !== 0 && min > max) return `min version (${cfg.tlsMinVersion}) is greater than max version (${cfg.tlsMaxVersion})`;
  // Cipher suites only choose among TLS 1.2's; with TLS 1.3 alone they would mean nothing.
  if (min === TLS_VERSIONS['TLS1.3'] && cfg.cipherSuites.length > 0) return 'cipher suites cannot be configured when only TLS1.3 is enabled';
  return undefined;
}

/** The lease checkpoint gates, worded as etcd 3.4 (experimental flags) or 3.6 (--feature-gates) words it. */
function validateLeaseCheckpoint(cfg: EtcdConfig, warnings: string[], viaGates: boolean): string | undefined {
  const checkpoint = featureEnabled(cfg.featureGates, 'LeaseCheckpoint');
  const persist = featureEnabled(cfg.featureGates, 'LeaseCheckpointPersist');
  if (checkpoint && !persist) {
    warnings.push(
      viaGates
        ? 'Detected that checkpointing is enabled without persistence. Consider enabling feature gate LeaseCheckpointPersist'
        : 'Detected that checkpointing is enabled without persistence. Consider enabling experimental-enable-lease-checkpoint-persist',
    );
  }
  if (persist && !checkpoint) {
    return viaGates
      ? 'enabling feature gate LeaseCheckpointPersist requires enabling feature gate LeaseCheckpoint'
      : 'setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint';
  }
  return undefined;
}

/**
 * etcd's embed.Config.Validate, in etcd's order (3.4's checks, then those 3.6 added); returns
 * etcd's error text. Also normalises the logging and compaction fields the way etcd does while
 * validating. `explicitlySet` names the flags given by the user (etcd's FlagsExplicitlySet).
 */
export function validateConfig(cfg: EtcdConfig, warnings: string[], explicitlySet: ReadonlySet<string> = new Set()): string | undefined {
  const conflict = graduatedConflict(explicitlySet);
  if (conflict !== undefined) return conflict;
  const logging = validateLogging(cfg, warnings);
  if (logging !== undefined) return logging;
  for (const urls of [cfg.listenPeerUrls, cfg.listenClientUrls, cfg.listenClientHttpUrls, cfg.listenMetricsUrls]) {
    const why = checkBindUrls(urls);
    if (why !== undefined) return why;
  }
  if (!['new', 'existing'].includes(cfg.initialClusterState)) return `unexpected clusterState ${goQuote(cfg.initialClusterState)}`;
  const bootstrapSources = [cfg.discovery !== '', cfg.initialClusterText !== '', cfg.discoverySrv !== ''].filter(Boolean).length;
  if (bootstrapSources > 1) return ERR_CONFLICT_BOOTSTRAP_FLAGS;
  if (cfg.heartbeatIntervalMs <= 0) return `--heartbeat-interval must be >0 (set to ${cfg.heartbeatIntervalMs}ms)`;
  if (cfg.electionTimeoutMs <= 0) return `--election-timeout must be >0 (set to ${cfg.electionTimeoutMs}ms)`;
  if (5 * cfg.heartbeatIntervalMs > cfg.electionTimeoutMs) {
    return `--election-timeout[${cfg.electionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[${cfg.heartbeatIntervalMs}ms]`;
  }
  if (cfg.electionTimeoutMs > MAX_ELECTION_MS) {
    return `--election-timeout[${cfg.electionTimeoutMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`;
  }
  if (cfg.listenClientUrls.length > 0 && cfg.advertiseClientUrls.length === 0) return ERR_UNSET_ADVERTISE_CLIENT_URLS;
  const mode = cfg.autoCompactionMode as string;
  if (mode === '') cfg.autoCompactionMode = 'periodic';
  else if (mode !== 'periodic' && mode !== 'revision') return `unknown auto-compaction-mode ${goQuote(mode)}`;
  if (cfg.autoCompactionRetention === '') cfg.autoCompactionRetention = '0';
  if (cfg.enableDashboard && !cfg.enableGrpcGateway) return 'setting enable-dashboard requires enable-grpc-gateway';
  const lease = validateLeaseCheckpoint(cfg, warnings, explicitlySet.has('feature-gates'));
  if (lease !== undefined) return lease;
  if (cfg.compactHashCheckTimeMs <= 0) {
    const name = explicitlySet.has('experimental-compact-hash-check-time') ? 'experimental-compact-hash-check-time' : 'compact-hash-check-time';
    return `--${name} must be >0 (set to ${formatGoDuration(cfg.compactHashCheckTimeMs)})`;
  }
  if (cfg.emulatedEtcdVersion !== '') {
    const release = EtcdRelease.emulate(cfg.emulatedEtcdVersion);
    if ('error' in release) return release.error;
  }
  return validateTlsVersions(cfg);
}

/** etcd 3.6: the experimental name, when set, overrides the graduated one; 0 or less keeps the 10-minute default. */
export function watchProgressNotifyIntervalMs(cfg: EtcdConfig, defaults: EtcdConfig): number {
  const experimental = cfg.experimentalWatchProgressNotifyIntervalMs;
  const chosen = experimental !== defaults.experimentalWatchProgressNotifyIntervalMs ? experimental : cfg.watchProgressNotifyIntervalMs;
  return chosen > 0 ? chosen : defaults.watchProgressNotifyIntervalMs;
}
