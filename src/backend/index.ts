export { BUCKETS, type Backend, type BackendView, type BucketName } from './backend.js';
export { LmdbBackend, type LmdbBackendOptions } from './lmdb.js';
export { MemoryBackend } from './memory.js';
