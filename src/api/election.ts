// v3electionpb.Election: campaign, proclaim, leader, observe (server stream), resign.
import type { CallContext, ServerWritable } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import { campaign, currentLeader, observe, proclaim, resign, type LeaderKey } from '../v3election/index.js';
import { asServiceError } from '../v3lock/index.js';

export function electionImpl(s: EtcdServer) {
  return {
    Campaign: (req: { name: Uint8Array; lease: bigint; value: Uint8Array }, call: CallContext) => asServiceError(campaign(s, req.name, req.lease, req.value, call.signal)),
    Proclaim: (req: { leader?: LeaderKey; value: Uint8Array }) => asServiceError(proclaim(s, req.leader, req.value)),
    Leader: (req: { name: Uint8Array }) => asServiceError(currentLeader(s, req.name)),
    Resign: (req: { leader?: LeaderKey }) => asServiceError(resign(s, req.leader)),
    Observe: async (req: { name: Uint8Array }, stream: any) => {
      const out = stream as ServerWritable<unknown>;
      try {
        await observe(s, req.name, (r) => void out.write(r), out.signal);
      } catch (err) {
        // A client that went away ends the call; anything else is reported.
        if (!out.signal.aborted) throw err;
      }
    },
  };
}
