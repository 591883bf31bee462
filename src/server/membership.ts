// The member list: who is in the cluster, their peer and client URLs, learners.
// Kept in the backend's "members" bucket (keyed by hex member ID, as etcd keys it)
// so it survives restarts and travels with snapshots.
import type { Backend } from '../backend/backend.js';

export interface Member {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const CLUSTER_VERSION_KEY = enc.encode('clusterVersion');
/** etcd 3.5+ keeps the downgrade job beside the cluster version, as JSON. */
const DOWNGRADE_KEY = enc.encode('downgrade');

function encodeMember(m: Member): Uint8Array {
  return enc.encode(JSON.stringify({ id: m.id.toString(16), name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner }));
}

function decodeMember(b: Uint8Array): Member {
  const o = JSON.parse(dec.decode(b));
  return { id: BigInt('0x' + o.id), name: o.name ?? '', peerUrls: o.peerURLs ?? [], clientUrls: o.clientURLs ?? [], isLearner: !!o.isLearner };
}

export class Membership {
  private members = new Map<bigint, Member>();
  /** IDs removed from the cluster: they may never rejoin, and their messages are dropped. */
  private removed = new Set<bigint>();

  private constructor(private readonly backend: Backend) {}

  static load(backend: Backend): Membership {
    const ms = new Membership(backend);
    ms.reload();
    return ms;
  }

  /** Re-reads the member list, after the backend was replaced by a snapshot. */
  reload(): void {
    this.members.clear();
    this.removed.clear();
    for (const [, v] of this.backend.range('members', new Uint8Array(0))) {
      const m = decodeMember(v);
      this.members.set(m.id, m);
    }
    for (const [k] of this.backend.range('members_removed', new Uint8Array(0))) this.removed.add(BigInt('0x' + dec.decode(k)));
  }

  static bootstrap(backend: Backend, initial: Member[]): Membership {
    const ms = new Membership(backend);
    for (const m of initial) ms.save(m);
    return ms;
  }

  private save(m: Member): void {
    this.members.set(m.id, m);
    this.backend.put('members', enc.encode(m.id.toString(16)), encodeMember(m));
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  add(m: Member): void {
    this.save(m);
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
    this.backend.delete('members', enc.encode(id.toString(16)));
    this.backend.put('members_removed', enc.encode(id.toString(16)), enc.encode('removed'));
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  updatePeerUrls(id: bigint, peerUrls: string[]): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, peerUrls });
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m) this.save({ ...m, isLearner: false });
  }

  setAttributes(id: bigint, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (!m) return;
    this.save({ ...m, name, clientUrls });
  }

  clusterVersion(): string | undefined {
    const v = this.backend.get('cluster', CLUSTER_VERSION_KEY);
    return v ? dec.decode(v) : undefined;
  }

  setClusterVersion(version: string): void {
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
