// v3lockpb.Lock: Lock blocks until the caller's lease-bound key is the oldest under the name.
import type { CallContext } from '../grpc/types.js';
import type { CoordinationPort } from '../port/member-port.js';
import { credentialsOf } from './credentials.js';

export function lockImpl(p: CoordinationPort) {
  return {
    Lock: (req: { name: Uint8Array; lease: bigint }, call: CallContext) => p.lock(req, credentialsOf(call), call.signal),
    Unlock: (req: { key: Uint8Array }, call: CallContext) => p.unlock(req, credentialsOf(call)),
  };
}
