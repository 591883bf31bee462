export { restoreSnapshot, type RestoreConfig, type RestoreResult, type RestoreLog } from './restore.js';
export { resolveRestoreCluster, type RestoreCluster, type RestoreClusterSpec } from './cluster.js';
export { verifySnapshot, hasChecksum } from './hash.js';
export { defragDataDir, type DefragResult } from './defrag.js';
