// A cluster member as etcd 3.4 writes it (membership.Member): in the backend's
// "members" bucket, in conf-change contexts, in GET /members. Go's encoding/json
// shapes it: the ID as a decimal uint64, peer URLs always (null when none), the
// learner flag, name and client URLs only when set.
import { jsonUint64, parseJsonExact } from './json.js';

export interface Member {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

const urls = (v: readonly string[] | null): string => (v === null ? 'null' : JSON.stringify(v));

/** etcd's JSON for a member (json.Marshal(membership.Member)). */
export function memberJson(m: Member): string {
  let s = `{"id":${m.id.toString()},"peerURLs":${urls(m.peerUrls)}`;
  if (m.isLearner) s += ',"isLearner":true';
  if (m.name) s += `,"name":${JSON.stringify(m.name)}`;
  if (m.clientUrls.length) s += `,"clientURLs":${JSON.stringify(m.clientUrls)}`;
  return s + '}';
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what}: not a list of strings`);
  return v as string[];
}

/** A member from a JSON object parsed by parseJsonExact. */
export function memberFromObject(o: unknown): Member {
  if (o === null || typeof o !== 'object') throw new Error('member: not a JSON object');
  const r = o as Record<string, unknown>;
  return {
    id: jsonUint64(r.id, 'member id'),
    name: typeof r.name === 'string' ? r.name : '',
    peerUrls: stringList(r.peerURLs, 'member peerURLs'),
    clientUrls: stringList(r.clientURLs, 'member clientURLs'),
    isLearner: r.isLearner === true,
  };
}

export function parseMember(text: string): Member {
  return memberFromObject(parseJsonExact(text));
}

/** GET /members: the member list as one JSON array, with json.Encoder's newline. */
export function membersJson(ms: readonly Member[]): string {
  return '[' + ms.map(memberJson).join(',') + ']\n';
}

export function parseMembers(text: string): Member[] {
  const v = parseJsonExact(text);
  if (!Array.isArray(v)) throw new Error('members: not a JSON array');
  return v.map(memberFromObject);
}

/**
 * A conf change's context (membership.ConfigChangeContext): the member, flattened,
 * and whether the change promotes a learner. AddMember and UpdateMember contexts are
 * the plain member; a promotion's is {"id":…,"peerURLs":null,"isPromote":true}.
 */
export interface ConfChangeContext {
  member: Member;
  isPromote: boolean;
}

export function promoteContextJson(id: bigint): string {
  return `{"id":${id.toString()},"peerURLs":null,"isPromote":true}`;
}

export function parseConfChangeContext(text: string): ConfChangeContext {
  const o = parseJsonExact(text);
  return { member: memberFromObject(o), isPromote: (o as Record<string, unknown>).isPromote === true };
}
