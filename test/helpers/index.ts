// Test helpers shared by every test folder: start real etcd or etcd-ts members
// with etcd's flags, drive them with the real etcdctl or a real gRPC client, and
// normalize outputs so that the two servers' answers can be compared exactly.
export { freePort } from './ports.js';
export { tmpDir, type TmpDir } from './tmp.js';
export { startMember, startMembers, probeHealth, selfCheck, memberFlags, READY_MILESTONE, REAL_ETCD_RELEASE, ETCD_BIN, ETCD_TS_ENTRY, type Member, type MemberKind, type MemberOptions, type ExitInfo } from './member.js';
export { etcdctl, ETCDCTL_BIN, type EtcdctlOptions, type EtcdctlResult } from './etcdctl.js';
export { normalize, normalizeStderr, type OutputFormat, type PortsOf } from './normalize.js';
export { normalizeProtobuf } from './normalize-protobuf.js';
export { grpcKv, grpcFailure, type GrpcKv, type KvClient, type MaintenanceClient, type GrpcFailure, type Msg, type CallOptions } from './grpc.js';
