// v3electionpb.Election: campaign, proclaim, leader, observe (server stream), resign.
import type { CallContext, ServerWritable } from '../grpc/types.js';
import type { CoordinationPort, LeaderKey } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';

export function electionImpl(p: CoordinationPort) {
  return {
    Campaign: (req: { name: Uint8Array; lease: bigint; value: Uint8Array }, call: CallContext) => p.campaign(req, credentialsOf(call), call.signal),
    Proclaim: (req: { leader?: LeaderKey; value: Uint8Array }, call: CallContext) => p.proclaim(req, credentialsOf(call)),
    Leader: (req: { name: Uint8Array }, call: CallContext) => p.leader(req, credentialsOf(call)),
    Resign: (req: { leader?: LeaderKey }, call: CallContext) => p.resign(req, credentialsOf(call)),
    Observe: async (req: { name: Uint8Array }, stream: any) => {
      const out = stream as ServerWritable<unknown>;
      try {
        await p.observe(req, credentialsOf(out), (r) => void out.write(r), out.signal);
      } catch (err) {
        // A client that went away ends the call; anything else is reported.
        if (!out.signal.aborted) throw err;
      }
    },
  };
}
