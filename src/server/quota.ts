// etcd's backend quota: a write may proceed while the backend's size plus an estimate
// of what the write adds stays under --quota-backend-bytes. Requests that add nothing
// (deletes, reads, txns without puts) always pass, so space can be reclaimed.
import type * as kv from '../pb/kv.js';

/** etcd's estimates of the bytes a lease and a key's metadata take. */
const LEASE_OVERHEAD = 64;
const KV_OVERHEAD = 256;

export interface QuotaRequest {
  put?: kv.PutRequest;
  txn?: kv.TxnRequest;
  leaseGrant?: unknown;
}

export function quotaCost(req: QuotaRequest): number {
  if (req.put) return costPut(req.put);
  if (req.txn) return costTxn(req.txn);
  if (req.leaseGrant) return LEASE_OVERHEAD;
  return 0;
}

function costPut(r: kv.PutRequest): number {
  return KV_OVERHEAD + r.key.length + r.value.length;
}

/** As etcd: the more expensive branch; nested txns are not counted. */
function costTxn(r: kv.TxnRequest): number {
  const branch = (ops: kv.RequestOp[]) => ops.reduce((n, op) => n + (op.requestPut ? costPut(op.requestPut) : 0), 0);
  return Math.max(branch(r.success), branch(r.failure));
}

export class BackendQuota {
  constructor(
    private readonly maxBytes: number,
    private readonly size: () => number,
  ) {}

  available(req: QuotaRequest): boolean {
    const cost = quotaCost(req);
    // A negative quota turns the check off, as etcd's passthrough quota.
    if (cost === 0 || this.maxBytes < 0) return true;
    return this.size() + cost < this.maxBytes;
  }
}
