// etcdserverpb.Cluster: the member list as etcd shows it, and membership changes.
import type { CallContext } from '../grpc/types.js';
import type { ClusterPort } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';

export function clusterImpl(p: ClusterPort) {
  return {
    MemberList: (req: { linearizable?: boolean }, call: CallContext) => p.memberList(req, credentialsOf(call)),
    MemberAdd: (req: { peerURLs: string[]; isLearner: boolean }, call: CallContext) => p.memberAdd(req, credentialsOf(call)),
    MemberRemove: (req: { ID: bigint }, call: CallContext) => p.memberRemove(req, credentialsOf(call)),
    MemberUpdate: (req: { ID: bigint; peerURLs: string[] }, call: CallContext) => p.memberUpdate(req, credentialsOf(call)),
    MemberPromote: (req: { ID: bigint }, call: CallContext) => p.memberPromote(req, credentialsOf(call)),
  };
}
