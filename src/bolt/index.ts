// bbolt's on-disk format, the one etcd keeps its backend and snapshots in.
export { BoltFile, type BoltEntry } from './reader.js';
