// Member and cluster IDs derived exactly as etcd derives them, so that a member
// re-created with the same peer URLs and token agrees with the one it replaces and
// with a real etcd bootstrapped from the same flags.
import { createHash } from 'node:crypto';

/** etcd: sha1(sorted peer URLs joined + cluster token [+ unix time]) → first 8 bytes, big-endian. */
export function memberId(peerUrls: string[], clusterToken: string, unixSeconds?: number): bigint {
  const parts = [...peerUrls].sort().join('') + clusterToken + (unixSeconds === undefined ? '' : String(unixSeconds));
  return createHash('sha1').update(parts).digest().readBigUInt64BE(0);
}

/** etcd: sha1 over the sorted member IDs as 8-byte big-endian values → first 8 bytes. */
export function clusterId(memberIds: bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, i * 8));
  return createHash('sha1').update(buf).digest().readBigUInt64BE(0);
}

/**
 * Request IDs for proposals, unique across members and restarts as etcd's idutil:
 * the low 2 bytes of the member ID, then a millisecond timestamp, then a counter.
 */
export class RequestIdGenerator {
  private prefix: bigint;
  private suffix: bigint;
  constructor(member: bigint, nowMs: number) {
    this.prefix = (member & 0xffffn) << 48n;
    this.suffix = (BigInt(Math.floor(nowMs)) & 0xffffffffffn) << 8n;
  }
  next(): bigint {
    this.suffix = (this.suffix + 1n) & 0xffffffffffffn;
    return this.prefix | this.suffix;
  }
}

export const hex = (id: bigint) => id.toString(16);
