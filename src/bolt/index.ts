// bbolt's on-disk format, the one etcd keeps its backend and snapshots in.
export { BoltFile, type BoltEntry } from './reader.js';
export { BoltWriter, writeBolt, fnv1a64, BOLT_PAGE_SIZE, type BoltSummary, type BoltWriterOptions, type PageSink } from './writer.js';
