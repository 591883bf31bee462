// Membership changes as etcd makes them: a Raft conf change whose context carries the
// member (so every member applies the same member list), checked first against
// etcd's rules so that a change that could cost the cluster its quorum is refused.
import { ConfChangeType, type ConfChange } from '../raft/types.js';
import { Errors } from '../rpctypes/errors.js';
import type { Member } from './membership.js';

interface ContextJson {
  reqId: string;
  member: { id: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function confChange(type: ConfChangeType, m: Member, reqId: bigint): ConfChange {
  const ctx: ContextJson = {
    reqId: reqId.toString(16),
    member: { id: m.id.toString(16), name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner },
  };
  return { type, nodeId: m.id, context: enc.encode(JSON.stringify(ctx)) };
}

export function decodeContext(cc: ConfChange): { reqId?: bigint; member?: Member } {
  if (cc.context.length === 0) return {};
  const o = JSON.parse(dec.decode(cc.context)) as Partial<ContextJson>;
  const m = o.member;
  return {
    reqId: o.reqId ? BigInt('0x' + o.reqId) : undefined,
    member: m && { id: BigInt('0x' + m.id), name: m.name ?? '', peerUrls: m.peerURLs ?? [], clientUrls: m.clientURLs ?? [], isLearner: !!m.isLearner },
  };
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

/** etcd's isReadyToAddVotingMember: the started voters must still form a quorum once the new one counts. */
export function checkCanAddVoter(members: Member[], isStarted: (id: bigint) => boolean): void {
  const voters = members.filter((m) => !m.isLearner);
  const started = voters.filter((m) => isStarted(m.id)).length;
  if (started < quorum(voters.length + 1)) throw Errors.MemberNotEnoughStarted;
}

/** etcd's isReadyToRemoveVotingMember: what is left of the started voters must be a quorum. */
export function checkCanRemoveVoter(members: Member[], id: bigint, isStarted: (id: bigint) => boolean): void {
  const voters = members.filter((m) => !m.isLearner);
  if (!voters.some((m) => m.id === id)) return;
  const started = voters.filter((m) => m.id !== id && isStarted(m.id)).length;
  if (started < quorum(voters.length - 1)) throw Errors.MemberNotEnoughStarted;
}

/** etcd allows one learner at a time. */
export const MAX_LEARNERS = 1;
