// etcd 3.4's v2 requests in the Raft log, applied as its v2 applier (apply_v2.go)
// applies the ones that concern the cluster:
//   PUT /0/members/<id>/attributes  {"name":…,"clientURLs":[…]}  a member published itself
//   PUT /0/version                  "3.4.0"                       the leader set the cluster version
//   SYNC                                                          expire v2 TTL keys (none here)
// Anything else writes etcd's v2 key space, which etcd-ts does not keep.
import type { V2Request } from '../pb/entry.js';
import type { Membership } from '../membership/index.js';
import { parseGoSemver } from '../version/index.js';
import type { Logger } from '../pkg/logger.js';

const ATTRIBUTES = /^\/0\/members\/([0-9a-f]{1,16})\/attributes$/;

export interface V2Outcome {
  /** Set when the request was not applied: why. */
  warn?: string;
  /** The cluster version the request set. */
  clusterVersion?: string;
}

export function applyV2Request(r: V2Request, membership: Membership): V2Outcome {
  if (r.Method === 'SYNC') return {};
  if (r.Method !== 'PUT') return { warn: 'skipped a v2 request: etcd-ts keeps no v2 keys' };
  const attrs = ATTRIBUTES.exec(r.Path);
  if (attrs) {
    let v: { name?: unknown; clientURLs?: unknown };
    try {
      v = JSON.parse(r.Val) as typeof v;
    } catch {
      return { warn: 'skipped member attributes that are not JSON' };
    }
    const id = BigInt('0x' + attrs[1]!);
    const clientUrls = Array.isArray(v.clientURLs) ? v.clientURLs.filter((u): u is string => typeof u === 'string') : [];
    if (membership.setAttributes(id, typeof v.name === 'string' ? v.name : '', clientUrls)) return {};
    // etcd skips a removed member's attributes (and would stop on an unknown one's).
    return { warn: membership.isRemoved(id) ? 'skipped attributes update of removed member' : 'skipped attributes update of unknown member' };
  }
  if (r.Path === '/0/version') {
    const v = parseGoSemver(r.Val);
    if (!v) return { warn: 'skipped a cluster version that is not a version' };
    const version = `${v.major}.${v.minor}.${v.patch}`;
    membership.setClusterVersion(version);
    return { clusterVersion: version };
  }
  return { warn: 'skipped a v2 request: etcd-ts keeps no v2 keys' };
}

/** Logs the first of each kind of warning, then one in every thousand: a v2 client must not flood the log. */
export class RateLimitedWarnings {
  private counts = new Map<string, number>();

  warn(logger: Logger, message: string, fields: Record<string, unknown>): void {
    const n = (this.counts.get(message) ?? 0) + 1;
    this.counts.set(message, n);
    if (n === 1 || n % 1000 === 0) logger.warn(message, { ...fields, occurrences: n });
  }
}
