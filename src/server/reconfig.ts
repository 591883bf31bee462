// Membership changes as etcd makes them: a Raft conf change whose context carries the
// member (so every member applies the same member list), checked first against
// etcd's rules so that a change that could cost the cluster its quorum is refused.
import { ConfChangeType, type ConfChange } from '../raft/types.js';
import { Errors, type EtcdError } from '../rpctypes/errors.js';
import { memberJson, parseConfChangeContext, promoteContextJson, type Member } from '../membership/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * etcd's conf change for adding (AddNode / AddLearnerNode) or updating a member: the
 * member's JSON as the context, the request ID the proposer waits on as the ID. An
 * update carries the peer URLs only, as etcd's UpdateMember does.
 */
export function confChange(type: ConfChangeType.AddNode | ConfChangeType.AddLearnerNode | ConfChangeType.UpdateNode, m: Member, reqId: bigint): ConfChange {
  const ctx = type === ConfChangeType.UpdateNode ? { id: m.id, name: '', peerUrls: m.peerUrls, clientUrls: [], isLearner: false } : m;
  return { id: reqId, type, nodeId: m.id, context: enc.encode(memberJson(ctx)) };
}

/** etcd's RemoveNode: no context. */
export function removeConfChange(id: bigint, reqId: bigint): ConfChange {
  return { id: reqId, type: ConfChangeType.RemoveNode, nodeId: id, context: new Uint8Array(0) };
}

/** etcd's promotion: an AddNode whose context says isPromote. */
export function promoteConfChange(id: bigint, reqId: bigint): ConfChange {
  return { id: reqId, type: ConfChangeType.AddNode, nodeId: id, context: enc.encode(promoteContextJson(id)) };
}

/**
 * The member a conf change carries, and whether it promotes; undefined without a
 * context (a removal) or with one that is not a member's JSON, which validation refuses.
 */
export function decodeContext(cc: ConfChange): { member: Member; isPromote: boolean } | undefined {
  if (cc.context.length === 0) return undefined;
  try {
    return parseConfChangeContext(dec.decode(cc.context));
  } catch {
    return undefined;
  }
}

/** etcd accepts absolute http(s)/unix URLs with a host and no path. */
export function checkPeerUrls(urls: string[]): string[] {
  if (urls.length === 0) throw Errors.MemberBadURLs;
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw Errors.MemberBadURLs;
    }
    if (!/^(https?|unixs?):$/.test(url.protocol) || !url.host || (url.pathname !== '/' && url.pathname !== '')) throw Errors.MemberBadURLs;
    return `${url.protocol}//${url.host}`;
  });
}

export function checkUrlsFree(members: Member[], urls: string[], except?: bigint): void {
  const used = new Set(members.filter((m) => m.id !== except).flatMap((m) => m.peerUrls));
  if (urls.some((u) => used.has(u))) throw Errors.PeerURLExist;
}

const quorum = (voters: number) => Math.floor(voters / 2) + 1;

/** etcd's HealthInterval: a peer counts as connected once its link has been up this long. */
export const HEALTH_INTERVAL_MS = 5000;

/**
 * etcd's Member.IsStarted: the member has a name, which it has for being in the initial
 * cluster or once it published itself after being added. A member added at runtime
 * stays unstarted until its process joins.
 */
export const isStarted = (m: Member): boolean => m.name !== '';

/** etcd's IsReadyToAddVotingMember: the started voters must still form a quorum once the new one counts. */
export function checkCanAddVoter(members: Member[]): void {
  const voters = members.filter((m) => !m.isLearner);
  const started = voters.filter(isStarted).length;
  const total = voters.length + 1;
  // Adding a second member to a one-member cluster (restoring from a backup) is allowed.
  if (started === 1 && total === 2) return;
  if (started < quorum(total)) throw Errors.MemberNotEnoughStarted;
}

/** etcd's IsReadyToRemoveVotingMember: what is left of the started voters must be a quorum. */
export function checkCanRemoveVoter(members: Member[], id: bigint): void {
  const rest = members.filter((m) => !m.isLearner && m.id !== id);
  if (rest.length === members.filter((m) => !m.isLearner).length) return; // not a voter
  const started = rest.filter(isStarted).length;
  if (started < quorum(rest.length)) throw Errors.MemberNotEnoughStarted;
}

/** When each peer's link came up (epoch ms), 0 while it is down; this member always counts. */
export type ActiveSince = (id: bigint) => number;

function connectedSince(voters: Member[], self: bigint, activeSince: ActiveSince, since: number): number {
  return voters.filter((m) => {
    if (m.id === self) return true;
    const t = activeSince(m.id);
    return t !== 0 && t < since;
  }).length;
}

/** etcd's isConnectedFullySince check of mayAddMember: every voter linked for HealthInterval. */
export function checkConnectedToAll(members: Member[], self: bigint, activeSince: ActiveSince, now: number): void {
  const voters = members.filter((m) => !m.isLearner);
  if (connectedSince(voters, self, activeSince, now - HEALTH_INTERVAL_MS) !== voters.length) throw Errors.Unhealthy;
}

/**
 * The rest of etcd's mayRemoveMember: removing a member whose link is down is safe;
 * otherwise the members linked for HealthInterval, less the removed one, must be a quorum.
 */
export function checkRemoveKeepsActiveQuorum(members: Member[], id: bigint, self: bigint, activeSince: ActiveSince, now: number): void {
  if (id !== self && activeSince(id) === 0) return;
  const voters = members.filter((m) => !m.isLearner);
  const active = connectedSince(voters, self, activeSince, now - HEALTH_INTERVAL_MS);
  if (active - 1 < 1 + Math.floor((voters.length - 1) / 2)) throw Errors.Unhealthy;
}

/** etcd's default --max-learners: one learner at a time. */
export const DEFAULT_MAX_LEARNERS = 1;

export interface MemberView {
  list(): Member[];
  get(id: bigint): Member | undefined;
  isRemoved(id: bigint): boolean;
}

/**
 * etcd's ValidateConfigurationChange, run where every member agrees: on the committed
 * change, against the member list as the entries before it left it. Checks made when
 * the request arrived can be overtaken by a concurrent change through another member;
 * a change failing here is applied as a no-op and its caller gets the error.
 */
export function validateConfChange(cc: ConfChange, members: MemberView, maxLearners = DEFAULT_MAX_LEARNERS): EtcdError | undefined {
  const id = cc.nodeId;
  if (members.isRemoved(id)) return Errors.MemberNotFound; // etcd's ErrIDRemoved answers as not found
  const existing = members.get(id);
  switch (cc.type) {
    case ConfChangeType.AddNode:
    case ConfChangeType.AddLearnerNode: {
      const ctx = decodeContext(cc);
      if (!ctx) return Errors.MemberNotFound;
      if (ctx.member.id !== id) return Errors.MemberNotFound;
      if (ctx.isPromote) {
        if (!existing) return Errors.MemberNotFound;
        if (!existing.isLearner) return Errors.MemberNotLearner;
        return undefined;
      }
      if (existing) return Errors.MemberExist;
      const used = new Set(members.list().flatMap((m) => m.peerUrls));
      if (ctx.member.peerUrls.some((u) => used.has(u))) return Errors.PeerURLExist;
      // etcd counts learners by the flag in the context, not by the change's type.
      if (ctx.member.isLearner && members.list().filter((m) => m.isLearner).length + 1 > maxLearners) return Errors.TooManyLearners;
      return undefined;
    }
    case ConfChangeType.RemoveNode:
      return existing ? undefined : Errors.MemberNotFound;
    case ConfChangeType.UpdateNode: {
      if (!existing) return Errors.MemberNotFound;
      const ctx = decodeContext(cc);
      if (!ctx || ctx.member.id !== id) return Errors.MemberNotFound;
      const used = new Set(members.list().filter((m) => m.id !== id).flatMap((m) => m.peerUrls));
      if (ctx.member.peerUrls.some((u) => used.has(u))) return Errors.PeerURLExist;
      return undefined;
    }
    default:
      throw new Error(`unknown conf change type ${String(cc.type)}`);
  }
}
