export type { ClusterState, ConfigExit, DiscoveryFallback, EtcdConfig, ParsedConfig, ProxyMode } from './types.js';
export { parseConfig } from './parse.js';
export { ETCD_API_VERSION, ETCD_TS_VERSION, versionText } from './version.js';
export { defaultConfig, DEFAULT_QUOTA_BACKEND_BYTES } from './defaults.js';
export { FLAGS, flagToEnv, type FlagSpec } from './flags.js';
export { hostPort, urlString } from './go-values.js';
export { initialClusterString, parseInitialCluster, verifyBootstrap } from './cluster.js';
export { helpText } from './usage.js';
export { watchProgressNotifyIntervalMs } from './validate.js';
