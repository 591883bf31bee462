// Applies one committed request to the state machine and captures its outcome for
// the waiting proposer. Errors that etcd returns from apply (compacted revision,
// missing key for ignore_value, missing lease…) are results, not failures: every
// member applies the same entry to the same effect, and the log moves on.
import { KvApplier, checkRequest, type CheckLimits } from '../apply/index.js';
import type { MvccStore } from '../mvcc/index.js';
import type * as kv from '../pb/kv.js';
import type * as leasepb from '../pb/lease.js';
import type { Lessor } from '../lease/index.js';
import { EtcdError, toEtcdError } from '../rpctypes/errors.js';
import type { Logger } from '../pkg/logger.js';
import type { Metrics } from '../metrics/index.js';

export interface ApplyResult {
  resp?: { header?: { revision: number } } & Record<string, any>;
  err?: EtcdError;
}

export interface ApplyRequest {
  range?: kv.RangeRequest;
  put?: kv.PutRequest;
  deleteRange?: kv.DeleteRangeRequest;
  txn?: kv.TxnRequest;
  compaction?: kv.CompactionRequest;
  leaseGrant?: leasepb.LeaseGrantRequest;
  leaseRevoke?: leasepb.LeaseRevokeRequest;
}

/** While a CORRUPT alarm is raised, etcd refuses every KV and lease request that reaches the log. */
export function refusedWhileCorrupt(req: ApplyRequest): boolean {
  return !!(req.put || req.range || req.deleteRange || req.txn || req.compaction || req.leaseGrant || req.leaseRevoke);
}

export class Applier {
  private readonly kv: KvApplier;

  constructor(
    private readonly mvcc: MvccStore,
    private readonly deps: { logger: Logger; lessor?: Lessor; metrics?: Metrics },
  ) {
    this.kv = new KvApplier(mvcc, deps.lessor);
  }

  /** etcd's pre-proposal checks: bad requests never reach the log. */
  check(req: ApplyRequest, limits: CheckLimits): void {
    if (req.range) checkRequest({ requestRange: req.range }, limits);
    else if (req.put) checkRequest({ requestPut: req.put }, limits);
    else if (req.deleteRange) checkRequest({ requestDeleteRange: req.deleteRange }, limits);
    else if (req.txn) checkRequest({ requestTxn: req.txn }, limits);
  }

  range(req: kv.RangeRequest, opts?: { raw?: boolean }): kv.RangeResponse & { raw?: Uint8Array[] } {
    return this.kv.range(req, opts);
  }

  txnReadOnly(req: kv.TxnRequest): kv.TxnResponse {
    return this.kv.txn(req);
  }

  apply(req: ApplyRequest): ApplyResult {
    try {
      let resp: any;
      if (req.put) resp = this.kv.put(req.put);
      else if (req.deleteRange) resp = this.kv.deleteRange(req.deleteRange);
      else if (req.txn) resp = this.kv.txn(req.txn);
      else if (req.compaction) resp = this.kv.compaction(req.compaction);
      else if (req.range) resp = this.kv.range(req.range);
      else if (req.leaseGrant) resp = this.leaseGrant(req.leaseGrant);
      else if (req.leaseRevoke) resp = this.leaseRevoke(req.leaseRevoke);
      else return {};
      resp.header = { revision: this.mvcc.rev() };
      return { resp };
    } catch (err) {
      if (!(err instanceof EtcdError)) this.deps.logger.error('apply failed', { error: String(err) });
      return { err: toEtcdError(err) };
    }
  }

  private leaseGrant(r: leasepb.LeaseGrantRequest): leasepb.LeaseGrantResponse {
    const l = this.mustLessor().grant(r.ID, r.TTL);
    // As etcd's lessor, every member counts the grants and revokes it applies.
    this.deps.metrics?.leaseGranted.inc();
    this.deps.metrics?.leaseTtl.observe(l.ttl);
    return { ID: l.id, TTL: l.ttl, error: '' };
  }

  private leaseRevoke(r: leasepb.LeaseRevokeRequest): leasepb.LeaseRevokeResponse {
    this.mustLessor().revoke(r.ID);
    this.deps.metrics?.leaseRevoked.inc();
    return {};
  }

  private mustLessor(): Lessor {
    if (!this.deps.lessor) throw new Error('apply: a lease request reached a member without a lessor');
    return this.deps.lessor;
  }
}
