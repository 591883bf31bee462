// Leases in the backend's 'lease' bucket, in etcd's layout so a data dir reads the
// same way: key = the ID as 8 big-endian bytes, value = leasepb.Lease.
import type { Backend } from '../backend/backend.js';
import { codec } from '../pb/codec.js';

interface LeasePb {
  ID: bigint;
  TTL: number;
  RemainingTTL: number;
}
const leaseCodec = codec<LeasePb>('leasepb.Lease');

export function leaseKey(id: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, id, false);
  return b;
}

export function persistLease(backend: Backend, id: bigint, ttl: number, remainingTtl: number): void {
  backend.put('lease', leaseKey(id), leaseCodec.encode({ ID: id, TTL: ttl, RemainingTTL: remainingTtl }));
}

export function deleteLease(backend: Backend, id: bigint): void {
  backend.delete('lease', leaseKey(id));
}

/** Every stored lease, in key order. */
export function* loadLeases(backend: Backend): Generator<LeasePb> {
  for (const [, v] of backend.range('lease', new Uint8Array(0))) yield leaseCodec.decode(v);
}
