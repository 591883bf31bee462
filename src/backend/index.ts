export { BUCKETS, type Backend, type BucketName } from './backend.js';
export { LmdbBackend, type LmdbBackendOptions } from './lmdb.js';
export { MemoryBackend } from './memory.js';
