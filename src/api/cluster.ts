// etcdserverpb.Cluster: the member list as etcd shows it, and membership changes.
import type { EtcdServer } from '../server/server.js';
import type { Member } from '../server/membership.js';

const wire = (m: Member) => ({ ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner });

export function clusterImpl(s: EtcdServer) {
  // etcd's Cluster service fills no revision in its header.
  const header = () => ({ ...s.header(), revision: 0 });
  return {
    MemberList: async () => ({ header: header(), members: s.members().map(wire) }),
    MemberAdd: async (req: { peerURLs: string[]; isLearner: boolean }) => {
      const r = await s.memberAdd(req.peerURLs ?? [], !!req.isLearner);
      return { header: header(), member: wire(r.member), members: r.members.map(wire) };
    },
    MemberRemove: async (req: { ID: bigint }) => ({ header: header(), members: (await s.memberRemove(BigInt(req.ID))).map(wire) }),
    MemberUpdate: async (req: { ID: bigint; peerURLs: string[] }) => ({
      header: header(),
      members: (await s.memberUpdate(BigInt(req.ID), req.peerURLs ?? [])).map(wire),
    }),
    MemberPromote: async (req: { ID: bigint }) => ({ header: header(), members: (await s.memberPromote(BigInt(req.ID))).map(wire) }),
  };
}
