// etcd-ts/client: a typed client for every etcd v3 service.
export { Client, type ClientOptions } from './client.js';
export { KV, Op, Compare, TxnBuilder, type GetOptions, type PutOptions, type DeleteOptions, type RangeOptions, type CompareOp } from './kv.js';
export { Watch, Watcher, WatchCanceledError, WatchCompactedError, type WatchOptions, type WatchResponse } from './watch.js';
export { Lease, LeaseKeepAlive } from './lease.js';
export { Cluster } from './cluster.js';
export { Maintenance, AlarmType, DowngradeAction } from './maintenance.js';
export { Auth, type PermissionType } from './auth.js';
export { Lock, Election } from './concurrency.js';
export { Transport, type TransportOptions, type CallOptions } from './transport.js';
export { type TlsOptions, parseEndpoint } from './endpoint.js';
export { toBytes, toText, prefixEnd, type Bytes } from './bytes.js';
export * from './types.js';
export { EtcdError, Errors, GrpcCode } from '../rpctypes/errors.js';
export type { KeyValue, Event, ResponseHeader, RangeResponse, PutResponse, DeleteRangeResponse, TxnResponse, CompactionResponse } from '../pb/kv.js';
export { EventType } from '../pb/kv.js';
