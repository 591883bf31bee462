import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgv } from './argv.js';
import { deriveInitialCluster, parseInitialCluster, verifyBootstrap } from './cluster.js';
import { parseCompactionRetention } from './compaction.js';
import { loadConfigFile } from './config-file.js';
import { defaultConfig } from './defaults.js';
import { applyEnv } from './env.js';
import { EXPERIMENTAL_FLAG_TO_FEATURE, featureEnabled, featureGatesString, setFeatureGatesFromMap, UNAVAILABLE_FEATURES } from './feature-gates.js';
import { FLAGS, flagToEnv, type FlagSpec } from './flags.js';
import { deprecationWarnings } from './graduated.js';
import { helpText, USAGE_SUMMARY } from './usage.js';
import { ERR_UNSET_ADVERTISE_CLIENT_URLS, validateConfig } from './validate.js';
import { versionText } from './version.js';
import type { ConfigExit, EtcdConfig, ParsedConfig } from './types.js';

// `gateway` is the binary's own command (cli/gateway.ts); the gRPC proxy is not there yet.
const SUBCOMMANDS_NOT_AVAILABLE = new Set(['grpc-proxy']);

function verifyingError(message: string): ConfigExit {
  let stderr = `etcd-ts: error verifying flags, ${message}. See 'etcd-ts --help'.\n`;
  if (message === ERR_UNSET_ADVERTISE_CLIENT_URLS) {
    stderr += 'etcd-ts: When listening on specific address(es), this etcd process must advertise accessible url(s) to each connected client.\n';
  }
  return { exit: 1, stderr };
}

function fatal(message: string): ConfigExit {
  return { exit: 1, stderr: `etcd-ts: ${message}\n` };
}

function comparable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof URL ? x.href : x instanceof Map ? [...x.entries()] : x));
}

function notYetAvailable(cfg: EtcdConfig, explicitlySet: ReadonlySet<string>): string[] {
  const defaults = defaultConfig();
  // A value two names share (an experimental flag and its graduated name) is reported under the name given.
  const givenUnderOtherName = (f: FlagSpec) => !explicitlySet.has(f.name) && FLAGS.some((o) => o !== f && o.key === f.key && explicitlySet.has(o.name));
  const flags = FLAGS.filter((f) => f.notYetAvailable && f.key !== undefined && comparable(cfg[f.key!]) !== comparable(defaults[f.key!]) && !givenUnderOtherName(f)).map((f) => f.name);
  // A gate turned on through --feature-gates rather than its experimental flag.
  const gates = [...UNAVAILABLE_FEATURES]
    .filter((g) => featureEnabled(cfg.featureGates, g))
    .filter((g) => !Object.entries(EXPERIMENTAL_FLAG_TO_FEATURE).some(([flag, feature]) => feature === g && flags.includes(flag)))
    .map((g) => `feature-gates=${g}`);
  return [...new Set([...flags, ...gates])];
}

/**
 * etcd 3.6's SetFeatureGatesFromExperimentalFlags: an experimental boolean flag given
 * explicitly sets its gate, unless --feature-gates names that gate too.
 */
function foldExperimentalGates(cfg: EtcdConfig, explicitlySet: ReadonlySet<string>): string | undefined {
  const given = featureGatesString(cfg.featureGates);
  const fromFlags = new Map<string, boolean>();
  for (const [flag, feature] of Object.entries(EXPERIMENTAL_FLAG_TO_FEATURE)) {
    if (!explicitlySet.has(flag)) continue;
    const spec = FLAGS.find((f) => f.name === flag)!;
    const v = cfg[spec.key!] as boolean;
    if (given.includes(feature)) {
      const now = featureEnabled(cfg.featureGates, feature);
      return `cannot specify both flags: --${flag}=${v} and --feature-gates=${feature}=${now} at the same time, please just use --feature-gates=${feature}=${now}`;
    }
    fromFlags.set(feature, v);
  }
  const r = setFeatureGatesFromMap(fromFlags, cfg.featureGates);
  if ('error' in r) return r.error;
  cfg.featureGates = r.value;
  return undefined;
}

/** etcd 3.6's parseWarningUnaryRequestDuration: at most one of the two names, 300 ms by default. */
function warningUnaryRequest(cfg: EtcdConfig, warnings: string[]): { ms: number } | { error: string } {
  if (cfg.experimentalWarningUnaryRequestDurationMs !== 0 && cfg.warningUnaryRequestDurationMs !== 0) {
    return { error: 'both --experimental-warning-unary-request-duration and --warning-unary-request-duration flags are set. Use only --warning-unary-request-duration' };
  }
  if (cfg.warningUnaryRequestDurationMs !== 0) return { ms: cfg.warningUnaryRequestDurationMs };
  if (cfg.experimentalWarningUnaryRequestDurationMs !== 0) {
    warnings.push('--experimental-warning-unary-request-duration is deprecated, and will be decommissioned in v3.7. Use --warning-unary-request-duration instead.');
    return { ms: cfg.experimentalWarningUnaryRequestDurationMs };
  }
  return { ms: 300 };
}

/**
 * Reads a member's configuration the way etcd 3.4 does: command-line flags (Go flag syntax),
 * then ETCD_* variables for flags not given, or else only --config-file / ETCD_CONFIG_FILE.
 * Never throws on bad input: it returns the exit code and output etcd would give.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): ParsedConfig | ConfigExit {
  if (argv.length > 0 && SUBCOMMANDS_NOT_AVAILABLE.has(argv[0])) return fatal(`'${argv[0]}' is accepted but not available yet`);

  let cfg = defaultConfig();
  const warnings: string[] = [];
  const flagValues = new Map<string, string>();
  const parsed = parseArgv(argv, cfg, warnings, flagValues);
  if (parsed.kind === 'help') return { exit: 0, stdout: helpText() };
  if (parsed.kind === 'error') return { exit: 2, stderr: `${parsed.message}\n${USAGE_SUMMARY}\n` };
  if (parsed.rest.length > 0) return verifyingError(`'${parsed.rest[0]}' is not a valid flag`);
  if (flagValues.get('version') !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(flagValues.get('version')!)) {
    return { exit: 0, stdout: versionText() };
  }

  const configFile = cfg.configFile !== '' ? cfg.configFile : (env[flagToEnv('config-file')] ?? '');
  const explicitlySet = new Set<string>();
  if (configFile !== '') {
    const ignored = [
      ...[...parsed.set].filter((n) => n !== 'config-file').map((n) => `--${n}`),
      ...Object.keys(env).filter((k) => k.startsWith('ETCD_') && k !== 'ETCD_CONFIG_FILE' && k !== 'ETCD_UNSUPPORTED_ARCH'),
    ];
    cfg = defaultConfig();
    cfg.configFile = configFile;
    const fileWarnings: string[] = [];
    if (ignored.length > 0) {
      fileWarnings.push(`loaded server configuration from "${configFile}"; these command-line flags and environment variables are ignored: ${ignored.join(', ')}`);
    }
    const loaded = loadConfigFile(configFile, cfg, fileWarnings, explicitlySet);
    warnings.splice(0, warnings.length, ...fileWarnings);
    if (loaded.kind === 'error') return loaded.verifying ? verifyingError(loaded.message) : fatal(loaded.message);
    const gates = foldExperimentalGates(cfg, explicitlySet);
    if (gates !== undefined) return verifyingError(gates);
    const why = validateConfig(cfg, warnings, explicitlySet);
    if (why !== undefined) return verifyingError(why);
  } else {
    const fromEnv = applyEnv(env, cfg, parsed.set, warnings);
    if (fromEnv.kind === 'fatal') return fatal(fromEnv.message);
    if (fromEnv.kind === 'error') return verifyingError(fromEnv.message);
    const isSet = (name: string) => parsed.set.has(name) || fromEnv.used.has(flagToEnv(name));
    for (const f of FLAGS) if (isSet(f.name)) explicitlySet.add(f.name);
    const mayBeProxy = cfg.proxy !== 'off' || (cfg.discovery !== '' && cfg.discoveryFallback === 'proxy');
    // An explicit listen address makes the default advertise address wrong, so etcd drops it.
    if (isSet('listen-client-urls') && !isSet('advertise-client-urls') && !mayBeProxy) cfg.advertiseClientUrls = [];
    if ((cfg.discovery !== '' || cfg.discoverySrv !== '' || cfg.discoverySrvName !== '') && !isSet('initial-cluster')) cfg.initialClusterText = '';
    const gates = foldExperimentalGates(cfg, explicitlySet);
    if (gates !== undefined) return verifyingError(gates);
    const why = validateConfig(cfg, warnings, explicitlySet);
    if (why !== undefined && !(why === ERR_UNSET_ADVERTISE_CLIENT_URLS && mayBeProxy)) return verifyingError(why);
  }

  const unary = warningUnaryRequest(cfg, warnings);
  if ('error' in unary) return verifyingError(unary.error);
  warnings.push(...deprecationWarnings(explicitlySet));

  deriveInitialCluster(cfg);
  if (cfg.dataDir === '') {
    cfg.dataDir = `${cfg.name}.etcd`;
    warnings.push(`no data-dir provided, using default data-dir ./${cfg.dataDir}`);
  }
  if (cfg.discovery === '' && cfg.discoverySrv === '') {
    const cluster = parseInitialCluster(cfg.initialClusterText);
    if ('error' in cluster) return fatal(`error setting up initial cluster: ${cluster.error}`);
    cfg.initialCluster = cluster.cluster;
  }
  // etcd reads the retention after the initial cluster and before bootstrapping the member.
  const retention = parseCompactionRetention(cfg.autoCompactionMode, cfg.autoCompactionRetention);
  if ('error' in retention) return fatal(retention.error);
  // A member with data already restarts from it; --initial-cluster only matters for a new one.
  if (cfg.discovery === '' && cfg.discoverySrv === '' && !existsSync(cfg.walDir !== '' ? cfg.walDir : join(cfg.dataDir, 'member', 'wal'))) {
    const why = verifyBootstrap(cfg);
    if (why !== undefined) return fatal(why);
  }
  return {
    config: cfg,
    warnings,
    notYetAvailable: notYetAvailable(cfg, explicitlySet),
    autoCompactionRetention: retention.retention,
    explicitlySet,
    warningUnaryRequestMs: unary.ms,
  };
}
