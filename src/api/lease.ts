// etcdserverpb.Lease: grant and revoke go through the log; keep-alive and
// time-to-live are answered by the leader's lessor, as in etcd's v3rpc LeaseServer.
import type { EtcdServer } from '../server/server.js';
import type { BidiStream } from '../grpc/types.js';
import type * as leasepb from '../pb/lease.js';
import { Errors } from '../rpctypes/errors.js';

export function leaseImpl(s: EtcdServer) {
  return {
    LeaseGrant: (req: leasepb.LeaseGrantRequest) => s.leaseGrant(req),
    LeaseRevoke: (req: leasepb.LeaseRevokeRequest) => s.leaseRevoke(req),
    LeaseTimeToLive: async (req: leasepb.LeaseTimeToLiveRequest): Promise<leasepb.LeaseTimeToLiveResponse> => {
      try {
        return await s.leaseTimeToLiveAnywhere(req);
      } catch (err) {
        // etcd answers a missing lease with TTL -1 rather than an error.
        if (err !== Errors.LeaseNotFound) throw err;
        return { header: s.header(), ID: req.ID, TTL: -1, grantedTTL: 0, keys: [] };
      }
    },
    LeaseLeases: async () => s.leaseLeases(),
    LeaseKeepAlive: (stream: BidiStream<leasepb.LeaseKeepAliveRequest, leasepb.LeaseKeepAliveResponse>) => keepAlive(s, stream),
  };
}

/** Renews each requested lease in arrival order; a missing lease answers TTL 0. */
function keepAlive(s: EtcdServer, stream: BidiStream<leasepb.LeaseKeepAliveRequest, leasepb.LeaseKeepAliveResponse>): void {
  let chain: Promise<void> = Promise.resolve();
  const renewOne = async (req: leasepb.LeaseKeepAliveRequest): Promise<void> => {
    if (stream.ended) return;
    // The header is taken before the renewal, so its revision is never later than it.
    const header = s.header();
    let ttl: number;
    try {
      ttl = await s.leaseRenew(req.ID);
    } catch (err) {
      if (err !== Errors.LeaseNotFound) throw err;
      ttl = 0;
    }
    if (!stream.ended) stream.write({ header, ID: req.ID, TTL: ttl });
  };
  stream.on('data', (req: leasepb.LeaseKeepAliveRequest) => {
    chain = chain.then(() => renewOne(req));
    chain.catch((err) => stream.end(err as Error));
  });
  // The client half-closing ends the call once the renewals it sent are answered.
  stream.on('end', () => void chain.then(() => stream.end(), () => {}));
}
