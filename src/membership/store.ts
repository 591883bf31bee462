// The member list: who is in the cluster, their peer and client URLs, learners, who
// was removed, and the cluster version. Kept in the backend's buckets exactly as etcd
// 3.4 keeps them, so they survive restarts and travel with snapshots both ways:
//   members          <hex id> → the member as etcd's JSON
//   members_removed  <hex id> → "removed"
//   cluster          clusterVersion → "3.4.0"
//   cluster          downgrade → {"target-version":…,"enabled":…} (etcd 3.5+)
import type { Backend, BackendView } from '../backend/backend.js';
import { memberFromObject, memberJson, type Member } from './member.js';
import { parseJsonExact } from './json.js';
import type { ClusterState } from './v2store.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const CLUSTER_VERSION_KEY = enc.encode('clusterVersion');
/** etcd 3.5+ keeps the downgrade job beside the cluster version, as JSON. */
const DOWNGRADE_KEY = enc.encode('downgrade');
const REMOVED = enc.encode('removed');

/** etcd's value, or an earlier etcd-ts one ({"id":"<hex>",…}). */
function decodeMember(b: Uint8Array): Member {
  const text = dec.decode(b);
  const legacy = /^\{"id":"([0-9a-f]+)"/.exec(text);
  const o = parseJsonExact(text) as Record<string, unknown>;
  if (legacy) o.id = BigInt('0x' + legacy[1]!).toString();
  return memberFromObject(o);
}

type Range = (bucket: 'members' | 'members_removed' | 'cluster', start: Uint8Array) => Iterable<[Uint8Array, Uint8Array]>;

function readState(range: Range): ClusterState {
  const state: ClusterState = { members: [], removed: [] };
  for (const [, v] of range('members', new Uint8Array(0))) state.members.push(decodeMember(v));
  for (const [k] of range('members_removed', new Uint8Array(0))) state.removed.push(BigInt('0x' + dec.decode(k)));
  for (const [k, v] of range('cluster', new Uint8Array(0))) {
    if (Buffer.from(k).equals(CLUSTER_VERSION_KEY)) state.clusterVersion = dec.decode(v);
  }
  return state;
}

export class Membership {
  private members = new Map<bigint, Member>();
  /** IDs removed from the cluster: they may never rejoin, and their messages are dropped. */
  private removed = new Set<bigint>();
  private version?: string;

  private constructor(private readonly backend: Backend) {}

  static load(backend: Backend): Membership {
    const ms = new Membership(backend);
    ms.reload();
    return ms;
  }

  /** The membership a point-in-time view of a backend holds (for a snapshot leaving this member). */
  static readView(view: BackendView): ClusterState {
    return readState((b, s) => view.range(b, s));
  }

  /** Re-reads the member list, after the backend was replaced by a snapshot. */
  reload(): void {
    const st = readState((b, s) => this.backend.range(b, s));
    this.members = new Map(st.members.map((m) => [m.id, m]));
    this.removed = new Set(st.removed);
    this.version = st.clusterVersion;
  }

  static bootstrap(backend: Backend, initial: Member[]): Membership {
    const ms = new Membership(backend);
    for (const m of initial) ms.save(m);
    return ms;
  }

  /** Replaces everything with `state` (a leader's snapshot, whose v2 store says who is in the cluster). */
  replace(state: ClusterState): void {
    for (const id of this.members.keys()) this.backend.delete('members', enc.encode(id.toString(16)));
    this.members.clear();
    for (const m of state.members) this.save(m);
    for (const id of state.removed) this.markRemoved(id);
    if (state.clusterVersion) this.setClusterVersion(state.clusterVersion);
  }

  state(): ClusterState {
    return { members: this.list(), removed: [...this.removed], ...(this.version ? { clusterVersion: this.version } : {}) };
  }

  private save(m: Member): void {
    this.members.set(m.id, m);
    this.backend.put('members', enc.encode(m.id.toString(16)), enc.encode(memberJson(m)));
  }

  private markRemoved(id: bigint): void {
    this.removed.add(id);
    this.backend.put('members_removed', enc.encode(id.toString(16)), REMOVED);
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  get size(): number {
    return this.members.size;
  }

  add(m: Member): void {
    this.save(m);
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.backend.delete('members', enc.encode(id.toString(16)));
    this.markRemoved(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** etcd's UpdateRaftAttributes: peer URLs and the learner flag together. */
  updateRaftAttributes(id: bigint, peerUrls: string[], isLearner: boolean): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, peerUrls, isLearner });
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, isLearner: false });
  }

  /** False when the member is unknown (etcd skips a removed member's attributes). */
  setAttributes(id: bigint, name: string, clientUrls: string[]): boolean {
    const m = this.members.get(id);
    if (!m) return false;
    this.save({ ...m, name, clientUrls });
    return true;
  }

  clusterVersion(): string | undefined {
    return this.version;
  }

  setClusterVersion(version: string): void {
    this.version = version;
    this.backend.put('cluster', CLUSTER_VERSION_KEY, enc.encode(version));
  }

  /** The downgrade job: disabled with no target unless one was enabled through the log. */
  downgradeInfo(): { enabled: boolean; targetVersion: string } {
    const v = this.backend.get('cluster', DOWNGRADE_KEY);
    if (!v) return { enabled: false, targetVersion: '' };
    const o = JSON.parse(dec.decode(v)) as { 'target-version'?: string; enabled?: boolean };
    return { enabled: !!o.enabled, targetVersion: o.enabled ? (o['target-version'] ?? '') : '' };
  }

  setDowngradeInfo(info: { enabled: boolean; targetVersion: string }): void {
    this.backend.put('cluster', DOWNGRADE_KEY, enc.encode(JSON.stringify({ 'target-version': info.enabled ? info.targetVersion : '', enabled: info.enabled })));
  }
}
