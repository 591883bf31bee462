// etcdserverpb.Lease: grant and revoke go through the log; keep-alive and
// time-to-live are answered by the leader's lessor, as in etcd's v3rpc LeaseServer.
import type { BidiStream, CallContext } from '../grpc/types.js';
import type * as leasepb from '../pb/lease.js';
import type { Credentials, LeasePort } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';
import { encodedStream } from './service.js';

export function leaseImpl(p: LeasePort) {
  return {
    LeaseGrant: (req: leasepb.LeaseGrantRequest, call: CallContext) => p.leaseGrant(req, credentialsOf(call)),
    LeaseRevoke: (req: leasepb.LeaseRevokeRequest, call: CallContext) => p.leaseRevoke(req, credentialsOf(call)),
    LeaseTimeToLive: (req: leasepb.LeaseTimeToLiveRequest, call: CallContext) => p.leaseTimeToLive(req, credentialsOf(call)),
    LeaseLeases: (_req: object, call: CallContext) => p.leaseLeases(credentialsOf(call)),
    // Requests and responses stay protobuf bytes here: the member decodes and encodes them.
    LeaseKeepAlive: encodedStream((stream) => keepAlive(p, stream, credentialsOf(stream))),
  };
}

/** Renews each requested lease in arrival order; a missing lease answers TTL 0. */
function keepAlive(p: LeasePort, stream: BidiStream<Uint8Array, Uint8Array>, who: Credentials): void {
  let chain: Promise<void> = Promise.resolve();
  const renewOne = async (req: Uint8Array): Promise<void> => {
    if (stream.ended) return;
    const resp = await p.leaseKeepAlive(req, who);
    if (!stream.ended) stream.write(resp);
  };
  stream.on('data', (req: Uint8Array) => {
    chain = chain.then(() => renewOne(req));
    chain.catch((err) => stream.end(err as Error));
  });
  // The client half-closing ends the call once the renewals it sent are answered.
  stream.on('end', () => void chain.then(() => stream.end(), () => {}));
}
