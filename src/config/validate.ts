import { isIP } from 'node:net';
import { MAX_ELECTION_MS } from './defaults.js';
import { goQuote, hostPort, urlString } from './go-values.js';
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

/**
 * etcd's embed.Config.Validate, in etcd's order; returns etcd's error text. Also normalises the
 * logging and compaction fields the way etcd does while validating.
 */
export function validateConfig(cfg: EtcdConfig, warnings: string[]): string | undefined {
  const logging = validateLogging(cfg, warnings);
  if (logging !== undefined) return logging;
  for (const urls of [cfg.listenPeerUrls, cfg.listenClientUrls, cfg.listenMetricsUrls]) {
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
  if (cfg.experimentalEnableLeaseCheckpoint && !cfg.experimentalEnableLeaseCheckpointPersist) {
    warnings.push('Detected that checkpointing is enabled without persistence. Consider enabling experimental-enable-lease-checkpoint-persist');
  }
  if (cfg.experimentalEnableLeaseCheckpointPersist && !cfg.experimentalEnableLeaseCheckpoint) {
    return 'setting experimental-enable-lease-checkpoint-persist requires experimental-enable-lease-checkpoint';
  }
  if (cfg.emulatedEtcdVersion !== '') {
    const release = EtcdRelease.emulate(cfg.emulatedEtcdVersion);
    if ('error' in release) return release.error;
  }
  return undefined;
}

/** etcd 3.6: the experimental name, when set, overrides the graduated one; 0 or less keeps the 10-minute default. */
export function watchProgressNotifyIntervalMs(cfg: EtcdConfig, defaults: EtcdConfig): number {
  const experimental = cfg.experimentalWatchProgressNotifyIntervalMs;
  const chosen = experimental !== defaults.experimentalWatchProgressNotifyIntervalMs ? experimental : cfg.watchProgressNotifyIntervalMs;
  return chosen > 0 ? chosen : defaults.watchProgressNotifyIntervalMs;
}
