// v3lockpb.Lock: Lock blocks until the caller's lease-bound key is the oldest under the name.
import type { CallContext } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import { asServiceError, lock, unlock } from '../v3lock/index.js';

export function lockImpl(s: EtcdServer) {
  return {
    Lock: (req: { name: Uint8Array; lease: bigint }, call: CallContext) => asServiceError(lock(s, req.name, req.lease, call.signal)),
    Unlock: (req: { key: Uint8Array }) => asServiceError(unlock(s, req.key)),
  };
}
