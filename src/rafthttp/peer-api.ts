// The rest of etcd's peer handler (etcdhttp's peer API and leasehttp), served on the
// peer URLs beside Raft's routes:
//   GET  /members              the member list (a joining member checks itself against it)
//   POST /members/promote/<id> a learner's promotion, forwarded to the leader (decimal ID)
//   GET  /version              server and cluster version (the leader's version monitor)
//   POST /leases               a lease keep-alive forwarded to the leader (protobuf)
//   POST /leases/internal      a lease time-to-live query forwarded to the leader
// Answers, status codes and error texts are etcd's, since etcd members read them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { codec } from '../pb/codec.js';
import type * as leasepb from '../pb/lease.js';
import { Errors, EtcdError } from '../rpctypes/errors.js';
import { membersJson, type Member } from '../membership/index.js';
import { httpError, methodNotAllowed } from './http-error.js';
import { HDR_CLUSTER_ID, PATH_LEASES, PATH_LEASES_INTERNAL, PATH_MEMBER_PROMOTE, PATH_MEMBERS, PATH_VERSION } from './paths.js';

export interface PeerApiHooks {
  members(): Member[];
  /** GET /version's answer: etcd's version.Versions (etcdserver, etcdcluster, and storage from 3.6). */
  versions(): Record<string, string>;
  promoteMember(id: bigint): Promise<Member[]>;
  leaseRenew(id: bigint): Promise<number>;
  leaseTimeToLive(id: bigint, keys: boolean): Promise<{ ttl: number; grantedTtl: number; keys: Uint8Array[] }>;
  /** Resolves once everything committed when it was called is applied (etcd's ApplyWait). */
  waitApplied(): Promise<void>;
}

export const keepAliveRequest = codec<leasepb.LeaseKeepAliveRequest>('etcdserverpb.LeaseKeepAliveRequest');
export const keepAliveResponse = codec<leasepb.LeaseKeepAliveResponse>('etcdserverpb.LeaseKeepAliveResponse');
export const leaseInternalRequest = codec<{ LeaseTimeToLiveRequest?: leasepb.LeaseTimeToLiveRequest }>('leasepb.LeaseInternalRequest');
export const leaseInternalResponse = codec<{ LeaseTimeToLiveResponse?: leasepb.LeaseTimeToLiveResponse }>('leasepb.LeaseInternalResponse');

/** etcd's texts for promotion errors, which the forwarding member matches on. */
export const ERR_ID_NOT_FOUND = 'membership: ID not found';
export const ERR_MEMBER_NOT_LEARNER = 'membership: can only promote a learner member';
export const ERR_LEARNER_NOT_READY = 'etcdserver: can only promote a learner member which is in sync with leader';
export const ERR_LEASE_NOT_FOUND = 'lease not found';
export const ERR_LEASE_HTTP_TIMEOUT = 'waiting for node to catch up its applied index has timed out';
/** leasehttp's applyTimeout. */
const APPLY_TIMEOUT_MS = 1000;
const MAX_BODY = 64 * 1024;

/** Which route of the peer API a path is, if any. */
export function peerApiRoute(path: string): 'members' | 'promote' | 'version' | 'leases' | undefined {
  if (path === PATH_MEMBERS) return 'members';
  if (path.startsWith(PATH_MEMBER_PROMOTE)) return 'promote';
  if (path === PATH_VERSION) return 'version';
  if (path === PATH_LEASES || path === PATH_LEASES_INTERNAL) return 'leases';
  return undefined;
}

export function servePeerApi(
  route: NonNullable<ReturnType<typeof peerApiRoute>>,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  clusterId: bigint,
  serverVersion: string,
  hooks: PeerApiHooks | undefined,
): void {
  const cid = { [HDR_CLUSTER_ID]: clusterId.toString(16) };
  if (route === 'version') {
    if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
    const body = JSON.stringify(hooks?.versions() ?? { etcdserver: serverVersion, etcdcluster: 'not_decided' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (!hooks) return httpError(res, 503, 'not ready');
  if (route === 'members') {
    if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
    const body = membersJson(hooks.members());
    res.writeHead(200, { ...cid, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (route === 'promote') {
    if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
    req.resume();
    const idStr = path.slice(PATH_MEMBER_PROMOTE.length);
    if (!/^[0-9]+$/.test(idStr) || BigInt(idStr) >= 1n << 64n) return httpError(res, 404, `member ${idStr} not found in cluster`, cid);
    hooks.promoteMember(BigInt(idStr)).then(
      (members) => {
        const body = membersJson(members);
        res.writeHead(200, { ...cid, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      (err: unknown) => {
        if (err === Errors.MemberNotFound) return httpError(res, 404, ERR_ID_NOT_FOUND, cid);
        if (err === Errors.MemberNotLearner) return httpError(res, 412, ERR_MEMBER_NOT_LEARNER, cid);
        if (err === Errors.LearnerNotReady) return httpError(res, 412, ERR_LEARNER_NOT_READY, cid);
        // etcdhttp's WriteError: anything else is an internal error, as JSON.
        const body = JSON.stringify({ message: 'Internal Server Error' });
        res.writeHead(500, { ...cid, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
    );
    return;
  }
  serveLease(path, req, res, hooks);
}

function serveLease(path: string, req: IncomingMessage, res: ServerResponse, hooks: PeerApiHooks): void {
  if (req.method !== 'POST') return httpError(res, 405, 'Method Not Allowed');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY) return void req.destroy();
    chunks.push(c);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const applied = Promise.race([
      hooks.waitApplied().then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), APPLY_TIMEOUT_MS).unref()),
    ]);
    if (path === PATH_LEASES) {
      let id: bigint;
      try {
        id = keepAliveRequest.decode(body).ID;
      } catch {
        return httpError(res, 400, 'error unmarshalling request');
      }
      void applied.then(async (ok) => {
        if (!ok) return httpError(res, 408, ERR_LEASE_HTTP_TIMEOUT);
        try {
          const ttl = await hooks.leaseRenew(id);
          sendProtobuf(res, keepAliveResponse.encode({ ID: id, TTL: ttl }));
        } catch (err) {
          if (err === Errors.LeaseNotFound) return httpError(res, 404, ERR_LEASE_NOT_FOUND);
          httpError(res, 400, leaseErrorText(err));
        }
      });
      return;
    }
    let ttlReq: leasepb.LeaseTimeToLiveRequest | undefined;
    try {
      ttlReq = leaseInternalRequest.decode(body).LeaseTimeToLiveRequest;
    } catch {
      return httpError(res, 400, 'error unmarshalling request');
    }
    const id = ttlReq?.ID ?? 0n;
    void applied.then(async (ok) => {
      if (!ok) return httpError(res, 408, ERR_LEASE_HTTP_TIMEOUT);
      try {
        const r = await hooks.leaseTimeToLive(id, !!ttlReq?.keys);
        const out = { LeaseTimeToLiveResponse: { header: {}, ID: id, TTL: r.ttl, grantedTTL: r.grantedTtl, keys: r.keys } };
        sendProtobuf(res, leaseInternalResponse.encode(out as never));
      } catch (err) {
        if (err === Errors.LeaseNotFound) return httpError(res, 404, ERR_LEASE_NOT_FOUND);
        httpError(res, 400, leaseErrorText(err));
      }
    });
  });
}

/** The lessor's error text, as etcd's (lease.ErrNotPrimary and friends carry no "etcdserver: "). */
function leaseErrorText(err: unknown): string {
  if (err === Errors.NotLeader) return 'not a primary lessor';
  return err instanceof EtcdError ? err.message : String(err instanceof Error ? err.message : err);
}

function sendProtobuf(res: ServerResponse, b: Uint8Array): void {
  res.writeHead(200, { 'content-type': 'application/protobuf', 'content-length': b.length }).end(b);
}
