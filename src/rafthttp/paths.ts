// The peer API's routes and headers, named after etcd's rafthttp.
export const PATH_STREAM = '/raft/stream';
export const PATH_SNAPSHOT = '/raft/snapshot';
export const PATH_MEMBERS = '/members';
export const HDR_CLUSTER_ID = 'x-etcd-cluster-id';
export const HDR_FROM = 'x-server-from';
export const HDR_TO = 'x-raft-to';
/** Lease calls a follower forwards to the leader, which alone keeps lease TTLs. */
export const PATH_LEASE = '/leases/';
