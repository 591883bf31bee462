// Who is in the cluster, in etcd's encodings: members as etcd's JSON, the backend's
// member buckets, conf-change contexts and the v2 store snapshot etcd 3.4 restores
// its member list from.
export { Membership } from './store.js';
export {
  type Member,
  type ConfChangeContext,
  memberJson,
  membersJson,
  parseMember,
  parseMembers,
  memberFromObject,
  promoteContextJson,
  parseConfChangeContext,
} from './member.js';
export { encodeV2Store, decodeV2Store, type ClusterState } from './v2store.js';
export { parseJsonExact, jsonUint64 } from './json.js';
