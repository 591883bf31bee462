export { Wal, type WalOptions, type WalStats } from './wal.js';
export type { WalReplay, WalSnapshot } from './replay.js';
export { WalCorruptError, WalLockedError, WalSnapshotNotFoundError } from './errors.js';
