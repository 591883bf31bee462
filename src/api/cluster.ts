// etcdserverpb.Cluster: the member list as etcd shows it.
import type { EtcdServer } from '../server/server.js';

export function clusterImpl(s: EtcdServer) {
  return {
    MemberList: async () => ({
      // etcd's Cluster service fills no revision in its header.
      header: { ...s.header(), revision: 0 },
      members: s.members().map((m) => ({ ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner })),
    }),
  };
}
