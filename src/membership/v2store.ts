// The membership part of etcd's v2 store, which etcd 3.4 carries as a Raft snapshot's
// data (raftpb.Snapshot.Data) and rebuilds its member list from when it installs one:
//   /0/members/<id>/raftAttributes   {"peerURLs":[…],"isLearner":true}
//   /0/members/<id>/attributes       {"name":…,"clientURLs":[…]}
//   /0/removed_members/<id>          ""
//   /0/version                       "3.4.0"
// and the empty /1 directory of v2 keys. The JSON is the store's own (Root, its
// nodes, CurrentIndex); etcd keeps its watcher history and stats when they are absent.
import type { Member } from './member.js';

export interface ClusterState {
  members: Member[];
  removed: bigint[];
  /** Absent until the leader has set it. */
  clusterVersion?: string;
}

interface V2Node {
  Path: string;
  CreatedIndex: number;
  ModifiedIndex: number;
  ExpireTime: string;
  Value: string;
  /** A directory's children by name; null for a leaf (what makes it a leaf). */
  Children: Record<string, V2Node> | null;
}

/** Go's zero time.Time: a permanent node. */
const PERMANENT = '0001-01-01T00:00:00Z';

const hexId = (id: bigint) => id.toString(16);

/** The v2 store snapshot etcd installs, holding exactly `state`. */
export function encodeV2Store(state: ClusterState): Uint8Array {
  let index = 0;
  const node = (path: string, value: string | null): V2Node => {
    const i = value === null && path.split('/').length <= 2 ? 0 : ++index;
    return { Path: path, CreatedIndex: i, ModifiedIndex: i, ExpireTime: PERMANENT, Value: value ?? '', Children: value === null ? {} : null };
  };
  const root = node('/', null);
  const zero = node('/0', null);
  root.Children!['0'] = zero;
  const members = [...state.members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (members.length) {
    const dir = node('/0/members', null);
    zero.Children!.members = dir;
    for (const m of members) {
      const p = `/0/members/${hexId(m.id)}`;
      const md = node(p, null);
      dir.Children![hexId(m.id)] = md;
      const raft = m.isLearner ? { peerURLs: m.peerUrls, isLearner: true } : { peerURLs: m.peerUrls };
      md.Children!.raftAttributes = node(`${p}/raftAttributes`, JSON.stringify(raft));
      if (m.name || m.clientUrls.length) {
        const attrs: Record<string, unknown> = {};
        if (m.name) attrs.name = m.name;
        if (m.clientUrls.length) attrs.clientURLs = m.clientUrls;
        md.Children!.attributes = node(`${p}/attributes`, JSON.stringify(attrs));
      }
    }
  }
  if (state.removed.length) {
    const dir = node('/0/removed_members', null);
    zero.Children!.removed_members = dir;
    for (const id of state.removed) dir.Children![hexId(id)] = node(`/0/removed_members/${hexId(id)}`, '');
  }
  if (state.clusterVersion) zero.Children!.version = node('/0/version', state.clusterVersion);
  root.Children!['1'] = node('/1', null);
  return new TextEncoder().encode(JSON.stringify({ Root: root, CurrentIndex: index, CurrentVersion: 2 }));
}

function child(n: V2Node | undefined, name: string): V2Node | undefined {
  return n?.Children?.[name] ?? undefined;
}

function parseId(key: string, where: string): bigint {
  if (!/^[0-9a-f]{1,16}$/.test(key)) throw new Error(`v2 store: bad member ID ${JSON.stringify(key)} under ${where}`);
  return BigInt('0x' + key);
}

/** The members, removed members and cluster version in an etcd v2 store snapshot. */
export function decodeV2Store(data: Uint8Array): ClusterState {
  const o = JSON.parse(new TextDecoder().decode(data)) as { Root?: V2Node };
  if (!o.Root || typeof o.Root !== 'object') throw new Error('v2 store: no Root');
  const zero = child(o.Root, '0');
  const state: ClusterState = { members: [], removed: [] };
  for (const [key, n] of Object.entries(child(zero, 'members')?.Children ?? {})) {
    const raftNode = child(n, 'raftAttributes');
    if (!raftNode) throw new Error(`v2 store: member ${key} has no raftAttributes`);
    const raft = JSON.parse(raftNode.Value) as { peerURLs?: string[] | null; isLearner?: boolean };
    const attrsNode = child(n, 'attributes');
    const attrs = attrsNode ? (JSON.parse(attrsNode.Value) as { name?: string; clientURLs?: string[] | null }) : {};
    state.members.push({
      id: parseId(key, '/0/members'),
      name: attrs.name ?? '',
      peerUrls: raft.peerURLs ?? [],
      clientUrls: attrs.clientURLs ?? [],
      isLearner: raft.isLearner === true,
    });
  }
  for (const key of Object.keys(child(zero, 'removed_members')?.Children ?? {})) state.removed.push(parseId(key, '/0/removed_members'));
  const version = child(zero, 'version');
  if (version && version.Value) state.clusterVersion = version.Value;
  return state;
}
