import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgv } from './argv.js';
import { deriveInitialCluster, parseInitialCluster, verifyBootstrap } from './cluster.js';
import { parseCompactionRetention } from './compaction.js';
import { loadConfigFile } from './config-file.js';
import { defaultConfig } from './defaults.js';
import { applyEnv } from './env.js';
import { FLAGS, flagToEnv } from './flags.js';
import { helpText, USAGE_SUMMARY } from './usage.js';
import { ERR_UNSET_ADVERTISE_CLIENT_URLS, validateConfig } from './validate.js';
import { versionText } from './version.js';
import type { ConfigExit, EtcdConfig, ParsedConfig } from './types.js';

const SUBCOMMANDS_NOT_AVAILABLE = new Set(['gateway', 'grpc-proxy']);

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

function notYetAvailable(cfg: EtcdConfig): string[] {
  const defaults = defaultConfig();
  return FLAGS.filter((f) => f.notYetAvailable && f.key !== undefined && comparable(cfg[f.key!]) !== comparable(defaults[f.key!])).map((f) => f.name);
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
    const loaded = loadConfigFile(configFile, cfg, fileWarnings);
    warnings.splice(0, warnings.length, ...fileWarnings);
    if (loaded.kind === 'error') return loaded.verifying ? verifyingError(loaded.message) : fatal(loaded.message);
    const why = validateConfig(cfg, warnings);
    if (why !== undefined) return verifyingError(why);
  } else {
    const fromEnv = applyEnv(env, cfg, parsed.set, warnings);
    if (fromEnv.kind === 'fatal') return fatal(fromEnv.message);
    if (fromEnv.kind === 'error') return verifyingError(fromEnv.message);
    const isSet = (name: string) => parsed.set.has(name) || fromEnv.used.has(flagToEnv(name));
    const mayBeProxy = cfg.proxy !== 'off' || (cfg.discovery !== '' && cfg.discoveryFallback === 'proxy');
    // An explicit listen address makes the default advertise address wrong, so etcd drops it.
    if (isSet('listen-client-urls') && !isSet('advertise-client-urls') && !mayBeProxy) cfg.advertiseClientUrls = [];
    if ((cfg.discovery !== '' || cfg.discoverySrv !== '' || cfg.discoverySrvName !== '') && !isSet('initial-cluster')) cfg.initialClusterText = '';
    const why = validateConfig(cfg, warnings);
    if (why !== undefined && !(why === ERR_UNSET_ADVERTISE_CLIENT_URLS && mayBeProxy)) return verifyingError(why);
  }

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
  return { config: cfg, warnings, notYetAvailable: notYetAvailable(cfg), autoCompactionRetention: retention.retention };
}
