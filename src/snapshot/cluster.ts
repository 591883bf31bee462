// The membership a restored data dir starts with: --initial-cluster, IDs derived as
// etcd derives them, so a member started with the same flags recognises itself.
import { defaultConfig, parseInitialCluster, urlString, verifyBootstrap } from '../config/index.js';
import { urlList } from '../config/flag-kinds.js';
import { clusterId, memberId } from '../server/ids.js';
import type { Member } from '../membership/index.js';

export interface RestoreClusterSpec {
  /** This member's name; must appear in initialCluster. */
  name: string;
  /** "name=url,name=url", as --initial-cluster. */
  initialCluster: string;
  initialClusterToken: string;
  /** This member's advertised peer URLs; must be its URLs in initialCluster. */
  peerUrls: string[];
}

export interface RestoreCluster {
  /** Every member, sorted by ID; none is a learner and none has published client URLs yet. */
  members: Member[];
  self: Member;
  clusterId: bigint;
}

/** Throws with etcd's error text when the flags do not describe a cluster this member belongs to. */
export function resolveRestoreCluster(spec: RestoreClusterSpec): RestoreCluster {
  const peers = urlList(spec.peerUrls.join(','));
  if ('error' in peers) throw new Error(peers.error);
  const parsed = parseInitialCluster(spec.initialCluster);
  if ('error' in parsed) throw new Error(parsed.error);
  const cfg = defaultConfig();
  cfg.name = spec.name;
  cfg.initialCluster = parsed.cluster;
  cfg.initialAdvertisePeerUrls = peers.value as URL[];
  cfg.initialClusterState = 'new';
  const why = verifyBootstrap(cfg);
  if (why !== undefined) throw new Error(why);

  const members: Member[] = [...parsed.cluster].map(([name, urls]) => {
    const peerUrls = urls.map(urlString);
    return { id: memberId(peerUrls, spec.initialClusterToken), name, peerUrls, clientUrls: [], isLearner: false };
  });
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < members.length; i++) {
    if (members[i]!.id === members[i - 1]!.id) throw new Error(`member exists with identical ID ${members[i]!.id.toString(16)}`);
  }
  const self = members.find((m) => m.name === spec.name)!;
  return { members, self, clusterId: clusterId(members.map((m) => m.id)) };
}
