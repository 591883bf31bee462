// The gateway's routes: etcd 3.4's google.api.http bindings (POST, body "*").
import type { Behaviour } from '../version/index.js';

export interface Route {
  service: string;
  method: string;
  /** Bound only by releases with this behaviour. */
  since?: Behaviour;
}

const r = (service: string, method: string, since?: Behaviour): Route => ({ service, method, since });
const KV = 'etcdserverpb.KV';
const LEASE = 'etcdserverpb.Lease';
const CLUSTER = 'etcdserverpb.Cluster';
const MAINT = 'etcdserverpb.Maintenance';
const AUTH = 'etcdserverpb.Auth';
const LOCK = 'v3lockpb.Lock';
const ELECTION = 'v3electionpb.Election';

export const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/v3/kv/range', r(KV, 'Range')],
  ['/v3/kv/put', r(KV, 'Put')],
  ['/v3/kv/deleterange', r(KV, 'DeleteRange')],
  ['/v3/kv/txn', r(KV, 'Txn')],
  ['/v3/kv/compaction', r(KV, 'Compact')],
  ['/v3/watch', r('etcdserverpb.Watch', 'Watch')],
  ['/v3/lease/grant', r(LEASE, 'LeaseGrant')],
  ['/v3/lease/revoke', r(LEASE, 'LeaseRevoke')],
  ['/v3/kv/lease/revoke', r(LEASE, 'LeaseRevoke')],
  ['/v3/lease/keepalive', r(LEASE, 'LeaseKeepAlive')],
  ['/v3/lease/timetolive', r(LEASE, 'LeaseTimeToLive')],
  ['/v3/kv/lease/timetolive', r(LEASE, 'LeaseTimeToLive')],
  ['/v3/lease/leases', r(LEASE, 'LeaseLeases')],
  ['/v3/kv/lease/leases', r(LEASE, 'LeaseLeases')],
  ['/v3/cluster/member/add', r(CLUSTER, 'MemberAdd')],
  ['/v3/cluster/member/remove', r(CLUSTER, 'MemberRemove')],
  ['/v3/cluster/member/update', r(CLUSTER, 'MemberUpdate')],
  ['/v3/cluster/member/list', r(CLUSTER, 'MemberList')],
  ['/v3/cluster/member/promote', r(CLUSTER, 'MemberPromote')],
  ['/v3/maintenance/alarm', r(MAINT, 'Alarm')],
  ['/v3/maintenance/status', r(MAINT, 'Status')],
  ['/v3/maintenance/defragment', r(MAINT, 'Defragment')],
  // etcd 3.4 binds Hash and HashKV to the same path; Hash answers it.
  ['/v3/maintenance/hash', r(MAINT, 'Hash')],
  ['/v3/maintenance/snapshot', r(MAINT, 'Snapshot')],
  ['/v3/maintenance/transfer-leadership', r(MAINT, 'MoveLeader')],
  // etcd 3.5+ bindings; absent from a member behaving as a release without the RPC.
  ['/v3/maintenance/hashkv', r(MAINT, 'HashKV', 'hashKVGatewayRoute')],
  ['/v3/maintenance/downgrade', r(MAINT, 'Downgrade', 'downgradeRpc')],
  ['/v3/auth/status', r(AUTH, 'AuthStatus', 'authStatusRpc')],
  ['/v3/auth/enable', r(AUTH, 'AuthEnable')],
  ['/v3/auth/disable', r(AUTH, 'AuthDisable')],
  ['/v3/auth/authenticate', r(AUTH, 'Authenticate')],
  ['/v3/auth/user/add', r(AUTH, 'UserAdd')],
  ['/v3/auth/user/get', r(AUTH, 'UserGet')],
  ['/v3/auth/user/list', r(AUTH, 'UserList')],
  ['/v3/auth/user/delete', r(AUTH, 'UserDelete')],
  ['/v3/auth/user/changepw', r(AUTH, 'UserChangePassword')],
  ['/v3/auth/user/grant', r(AUTH, 'UserGrantRole')],
  ['/v3/auth/user/revoke', r(AUTH, 'UserRevokeRole')],
  ['/v3/auth/role/add', r(AUTH, 'RoleAdd')],
  ['/v3/auth/role/get', r(AUTH, 'RoleGet')],
  ['/v3/auth/role/list', r(AUTH, 'RoleList')],
  ['/v3/auth/role/delete', r(AUTH, 'RoleDelete')],
  ['/v3/auth/role/grant', r(AUTH, 'RoleGrantPermission')],
  ['/v3/auth/role/revoke', r(AUTH, 'RoleRevokePermission')],
  ['/v3/lock/lock', r(LOCK, 'Lock')],
  ['/v3/lock/unlock', r(LOCK, 'Unlock')],
  ['/v3/election/campaign', r(ELECTION, 'Campaign')],
  ['/v3/election/proclaim', r(ELECTION, 'Proclaim')],
  ['/v3/election/leader', r(ELECTION, 'Leader')],
  ['/v3/election/observe', r(ELECTION, 'Observe')],
  ['/v3/election/resign', r(ELECTION, 'Resign')],
]);
