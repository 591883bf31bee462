// The calls one member makes to another's peer API (etcd's cluster_util.go and
// leasehttp clients), with etcd's reading of the answers.
import type { IncomingMessage } from 'node:http';
import { Errors } from '../rpctypes/errors.js';
import { parseMembers, type Member } from '../membership/index.js';
import { HDR_CLUSTER_ID, PATH_LEASES, PATH_LEASES_INTERNAL, PATH_MEMBER_PROMOTE, PATH_MEMBERS, PATH_VERSION } from './paths.js';
import { peerRequest, type PeerTls } from './tls.js';
import { ERR_LEARNER_NOT_READY, ERR_MEMBER_NOT_LEARNER, keepAliveRequest, keepAliveResponse, leaseInternalRequest, leaseInternalResponse } from './peer-api.js';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** One request to a peer URL; rejects on network errors and on the deadline. */
export function peerCall(base: string, path: string, opts: { method: 'GET' | 'POST'; body?: Uint8Array; contentType?: string; timeoutMs: number; tls?: PeerTls }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (opts.body) {
      headers['content-length'] = opts.body.length;
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    }
    let req;
    try {
      req = peerRequest(new URL(path, base), { method: opts.method, headers, timeout: opts.timeoutMs }, opts.tls);
    } catch (err) {
      return reject(err);
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${base}${path}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface RemoteCluster {
  clusterId: bigint;
  members: Member[];
}

/**
 * GET /members from the first peer URL that answers (etcd's GetClusterFromRemotePeers)
 * with a cluster `accept` takes. A member that has not applied the newest addition yet
 * answers a list without it: etcd takes that answer and exits on the mismatch, while
 * asking the next peer finds one that has. With none accepted, the first answer.
 */
export async function fetchCluster(peerUrls: string[], timeoutMs: number, tls?: PeerTls, accept?: (c: RemoteCluster) => boolean): Promise<RemoteCluster> {
  const errors: string[] = [];
  let first: RemoteCluster | undefined;
  for (const base of peerUrls) {
    try {
      const r = await peerCall(base, PATH_MEMBERS, { method: 'GET', timeoutMs, tls });
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      const members = parseMembers(r.body.toString('utf8'));
      const cid = String(r.headers[HDR_CLUSTER_ID] ?? '');
      if (!/^[0-9a-f]{1,16}$/.test(cid)) throw new Error(`bad cluster ID ${JSON.stringify(cid)}`);
      if (members.length === 0) throw new Error('failed to get raft cluster member(s) from the given URLs');
      const c = { clusterId: BigInt('0x' + cid), members };
      if (!accept || accept(c)) return c;
      first ??= c;
    } catch (err) {
      errors.push(`${base}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (first) return first;
  throw new Error(`could not retrieve cluster information from the given URLs: ${errors.join('; ')}`);
}

export interface Versions {
  server: string;
  cluster: string;
}

/** GET /version from the first of a member's peer URLs that answers. */
export async function fetchVersion(peerUrls: string[], timeoutMs: number, tls?: PeerTls): Promise<Versions> {
  let last: unknown = new Error('member has no peer URLs');
  for (const base of peerUrls) {
    try {
      const r = await peerCall(base, PATH_VERSION, { method: 'GET', timeoutMs, tls });
      const o = JSON.parse(r.body.toString('utf8')) as { etcdserver?: unknown; etcdcluster?: unknown };
      if (typeof o.etcdserver !== 'string' || typeof o.etcdcluster !== 'string') throw new Error('not a version answer');
      return { server: o.etcdserver, cluster: o.etcdcluster };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** POST /members/promote/<id> to the leader (etcd's promoteMemberHTTP); rejects with etcd's errors. */
export async function promoteMemberHTTP(base: string, id: bigint, timeoutMs: number, tls?: PeerTls): Promise<Member[]> {
  const r = await peerCall(base, `${PATH_MEMBER_PROMOTE}${id.toString(10)}`, { method: 'POST', timeoutMs, tls });
  const text = r.body.toString('utf8');
  if (r.status === 408) throw Errors.Timeout;
  if (r.status === 412) {
    if (text.includes(ERR_LEARNER_NOT_READY)) throw Errors.LearnerNotReady;
    if (text.includes(ERR_MEMBER_NOT_LEARNER)) throw Errors.MemberNotLearner;
    throw new Error(`member promote: unknown error(${text})`);
  }
  if (r.status === 404) throw Errors.MemberNotFound;
  if (r.status !== 200) throw new Error(`member promote: unknown error(${text})`);
  return parseMembers(text);
}

/** A failure the caller may retry (another URL, a later attempt); LeaseNotFound is final. */
export class LeaseHttpError extends Error {}

/** POST /leases to the leader (etcd's RenewHTTP): the lease's new TTL. */
export async function leaseRenewHTTP(base: string, id: bigint, timeoutMs: number, tls?: PeerTls): Promise<number> {
  const r = await peerCall(base, PATH_LEASES, { method: 'POST', body: keepAliveRequest.encode({ ID: id }), contentType: 'application/protobuf', timeoutMs, tls });
  if (r.status === 404) throw Errors.LeaseNotFound;
  if (r.status !== 200) throw new LeaseHttpError(`lease: unknown error(${r.body.toString('utf8')})`);
  const out = keepAliveResponse.decode(r.body);
  if (out.ID !== id) throw new LeaseHttpError('lease: renew id mismatch');
  return out.TTL;
}

/** POST /leases/internal to the leader (etcd's TimeToLiveHTTP). */
export async function leaseTimeToLiveHTTP(base: string, id: bigint, keys: boolean, timeoutMs: number, tls?: PeerTls): Promise<{ ttl: number; grantedTtl: number; keys: Uint8Array[] }> {
  const body = leaseInternalRequest.encode({ LeaseTimeToLiveRequest: { ID: id, keys } });
  const r = await peerCall(base, PATH_LEASES_INTERNAL, { method: 'POST', body, contentType: 'application/protobuf', timeoutMs, tls });
  if (r.status === 404) throw Errors.LeaseNotFound;
  if (r.status !== 200) throw new LeaseHttpError(`lease: unknown error(${r.body.toString('utf8')})`);
  const out = leaseInternalResponse.decode(r.body).LeaseTimeToLiveResponse;
  if (!out || out.ID !== id) throw new LeaseHttpError('lease: renew id mismatch');
  return { ttl: out.TTL, grantedTtl: out.grantedTTL, keys: out.keys };
}
