// The peer API's routes and headers, as etcd 3.4 names them (rafthttp, etcdhttp's peer
// handler, leasehttp).
export const PATH_RAFT = '/raft';
export const PATH_STREAM = '/raft/stream';
/** etcd's msgappv2 stream lives at .../msgapp (its endpoint() drops the "v2"). */
export const PATH_STREAM_MSGAPP = '/raft/stream/msgapp';
export const PATH_STREAM_MESSAGE = '/raft/stream/message';
export const PATH_SNAPSHOT = '/raft/snapshot';
export const PATH_MEMBERS = '/members';
export const PATH_MEMBER_PROMOTE = '/members/promote/';
export const PATH_VERSION = '/version';
/** A follower's lease keep-alive, forwarded to the leader, which alone keeps lease TTLs. */
export const PATH_LEASES = '/leases';
/** A follower's lease time-to-live query, forwarded to the leader. */
export const PATH_LEASES_INTERNAL = '/leases/internal';

export const HDR_CLUSTER_ID = 'x-etcd-cluster-id';
export const HDR_FROM = 'x-server-from';
export const HDR_TO = 'x-raft-to';
export const HDR_SERVER_VERSION = 'x-server-version';
export const HDR_MIN_CLUSTER_VERSION = 'x-min-cluster-version';
export const HDR_PEER_URLS = 'x-peerurls';
