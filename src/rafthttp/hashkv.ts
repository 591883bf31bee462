// The peer API's /members/hashkv, as etcd 3.4 serves it for corruption checks: a GET
// whose JSON body names a revision ({"revision":N}); the answer is a JSON
// HashKVResponse with Go's field names, or 400 with the MVCC error's text. Members
// ask each other through it to compare their key-value stores at one revision.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EtcdError, Errors } from '../rpctypes/errors.js';
import { HDR_CLUSTER_ID } from './paths.js';
import { peerRequest, type PeerTls } from './tls.js';

export const PATH_HASHKV = '/members/hashkv';

/** A member's hash of its key-value store up to a revision. */
export interface PeerHashKV {
  hash: number;
  /** The answering member's current revision (not the one asked for, as in etcd). */
  revision: number;
  compactRevision: number;
}

/** Why a peer could not hash at the asked revision; 'compacted' and 'future' are etcd's expected cases. */
export class PeerHashKVError extends Error {
  constructor(
    readonly kind: 'compacted' | 'future' | 'other',
    message: string,
  ) {
    super(message);
  }
}

/** The MVCC error text etcd's peers send, without the gRPC layer's "etcdserver: " prefix. */
function mvccText(err: EtcdError): string {
  return err.message.replace(/^etcdserver: /, '');
}

/** Serves GET /members/hashkv; `hashByRev` throws Errors.Compacted / Errors.FutureRev as the MVCC store does. */
export function serveHashKV(req: IncomingMessage, res: ServerResponse, clusterId: bigint, hashByRev: (revision: number) => PeerHashKV | Promise<PeerHashKV>): void {
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
    return;
  }
  // As etcd: a member of another cluster at this URL must not be compared with ours.
  const cid = req.headers[HDR_CLUSTER_ID];
  if (typeof cid === 'string' && cid !== '' && cid !== clusterId.toString(16)) {
    res.writeHead(412, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('cluster ID mismatch\n');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    body += c;
    if (body.length > 4096) req.destroy();
  });
  req.on('error', () => res.destroy());
  req.on('end', async () => {
    let revision: number;
    try {
      const o = JSON.parse(body || '{}') as { revision?: unknown };
      revision = Number(o.revision ?? 0);
      if (!Number.isSafeInteger(revision)) throw new Error('revision is not an integer');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('error unmarshalling request\n');
      return;
    }
    let h: PeerHashKV;
    try {
      h = await hashByRev(revision);
    } catch (err) {
      const text = err instanceof EtcdError ? mvccText(err) : String(err instanceof Error ? err.message : err);
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text + '\n');
      return;
    }
    // Go's encoding/json with omitempty: zero fields are left out; etcd's header carries only the revision.
    const out: Record<string, unknown> = { header: h.revision ? { revision: h.revision } : {} };
    if (h.hash) out.hash = h.hash;
    if (h.compactRevision) out.compact_revision = h.compactRevision;
    res.writeHead(200, { 'content-type': 'application/json', 'x-etcd-cluster-id': clusterId.toString(16) }).end(JSON.stringify(out));
  });
}

/** Asks one peer URL for its hash at `revision`; rejects with PeerHashKVError. */
export function fetchPeerHashKV(peerUrl: string, revision: number, timeoutMs: number, tls?: PeerTls, clusterId?: bigint): Promise<PeerHashKV> {
  const body = Buffer.from(JSON.stringify(revision ? { revision } : {}));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length };
    if (clusterId !== undefined) headers[HDR_CLUSTER_ID] = clusterId.toString(16);
    let req;
    try {
      req = peerRequest(new URL(PATH_HASHKV, peerUrl), { method: 'GET', headers, timeout: timeoutMs }, tls);
    } catch (err) {
      reject(new PeerHashKVError('other', String(err instanceof Error ? err.message : err)));
      return;
    }
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', (err) => reject(new PeerHashKVError('other', err.message)));
      res.on('end', () => {
        if (res.statusCode === 400 && text.includes(mvccText(Errors.Compacted))) return reject(new PeerHashKVError('compacted', mvccText(Errors.Compacted)));
        if (res.statusCode === 400 && text.includes(mvccText(Errors.FutureRev))) return reject(new PeerHashKVError('future', mvccText(Errors.FutureRev)));
        if (res.statusCode !== 200) return reject(new PeerHashKVError('other', `unknown error: ${text.trim()}`));
        try {
          const o = JSON.parse(text) as { header?: { revision?: number | string }; hash?: number; compact_revision?: number | string };
          resolve({ hash: Number(o.hash ?? 0) >>> 0, revision: Number(o.header?.revision ?? 0), compactRevision: Number(o.compact_revision ?? 0) });
        } catch (err) {
          reject(new PeerHashKVError('other', String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${peerUrl}: timed out`)));
    req.on('error', (err) => reject(new PeerHashKVError('other', err.message)));
    req.end(body);
  });
}
