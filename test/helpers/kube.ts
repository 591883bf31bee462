// The etcd calls kube-apiserver makes, reproduced request for request from
// k8s.io/apiserver pkg/storage/etcd3 (store.go, compact.go, lease_manager.go, stats.go)
// and etcd's client/v3/kubernetes (Get, List, Count, OptimisticPut, OptimisticDelete),
// over grpc-js as clientv3 sends them. Used to drive the real etcd and etcd-ts alike.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { Member } from './member.js';
import type { Msg } from './grpc.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
// int64 as decimal strings: lease IDs are 63-bit; revisions and counts are read with Number().
let pkg: any;
function etcdserverpb(): any {
  pkg ??= (grpc.loadPackageDefinition(protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, bytes: Buffer, enums: String, defaults: true, oneofs: true })) as any).etcdserverpb;
  return pkg;
}

const enc = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s);

/** clientv3.GetPrefixRangeEnd. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The key kube-apiserver's compactors share: its version is their logical clock. */
export const COMPACT_REV_KEY = 'compact_rev_key';

export class KubeEtcd {
  private readonly kv: any;
  private readonly lease: any;
  private readonly maintenance: any;
  private readonly pb = etcdserverpb();

  constructor(readonly member: Member) {
    const addr = member.endpoint.replace(/^http:\/\//, '');
    this.kv = new this.pb.KV(addr, grpc.credentials.createInsecure());
    this.lease = new this.pb.Lease(addr, grpc.credentials.createInsecure());
    this.maintenance = new this.pb.Maintenance(addr, grpc.credentials.createInsecure());
  }

  /** What the feature support checker asks each endpoint. */
  status(): Promise<Msg> {
    return this.call(this.maintenance, 'Status', {});
  }

  private call(client: any, method: string, req: Msg): Promise<Msg> {
    return new Promise((resolve, reject) =>
      client[method](req, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, r: Msg) => (err ? reject(err) : resolve(r))),
    );
  }

  /** kubernetes.Client.Get: a Range with the revision and limit 1. */
  async get(key: string, revision = 0): Promise<{ revision: number; kv?: Msg }> {
    const r = await this.call(this.kv, 'Range', { key: enc(key), revision, limit: 1 });
    return { revision: Number(r.header.revision), kv: r.kvs[0] };
  }

  /** kubernetes.Client.List: from the continue key (or the prefix) to the prefix's end. */
  async list(prefix: string, opts: { limit?: number; continueKey?: Buffer; revision?: number; keysOnly?: boolean } = {}): Promise<{ revision: number; kvs: Msg[]; more: boolean; count: number }> {
    const r = await this.call(this.kv, 'Range', {
      key: opts.continueKey ?? enc(prefix),
      rangeEnd: prefixEnd(prefix),
      limit: opts.limit ?? 0,
      revision: opts.revision ?? 0,
      keysOnly: opts.keysOnly ?? false,
    });
    return { revision: Number(r.header.revision), kvs: r.kvs, more: r.more, count: Number(r.count) };
  }

  /** Every page of a paginated list: the revision of the first page, continue key = last key + "\x00". */
  async listAll(prefix: string, pageSize: number): Promise<{ revision: number; kvs: Msg[]; pages: number }> {
    const first = await this.list(prefix, { limit: pageSize });
    const kvs = [...first.kvs];
    let more = first.more;
    let pages = 1;
    while (more) {
      const continueKey = Buffer.concat([kvs[kvs.length - 1]!.key as Buffer, Buffer.from([0])]);
      const page = await this.list(prefix, { limit: pageSize, continueKey, revision: first.revision });
      kvs.push(...page.kvs);
      more = page.more;
      pages++;
    }
    return { revision: first.revision, kvs, pages };
  }

  /** kubernetes.Client.Count. */
  async count(prefix: string): Promise<number> {
    return Number((await this.call(this.kv, 'Range', { key: enc(prefix), rangeEnd: prefixEnd(prefix), countOnly: true })).count);
  }

  /** The resource size estimator's keys: a keys-only list. */
  async keys(prefix: string): Promise<string[]> {
    return (await this.list(prefix, { keysOnly: true })).kvs.map((kv) => kv.key.toString());
  }

  /** kubernetes.Client.OptimisticPut: a Txn on mod_revision; the current kv on failure. Create is expectedRevision 0. */
  async optimisticPut(key: string, value: Buffer | string, expectedRevision: number, opts: { leaseId?: string | number; getOnFailure?: boolean } = {}) {
    return this.optimistic(key, expectedRevision, { requestPut: { key: enc(key), value: enc(value), lease: opts.leaseId ?? 0 } }, opts.getOnFailure ?? true);
  }

  /** kubernetes.Client.OptimisticDelete. */
  async optimisticDelete(key: string, expectedRevision: number, opts: { getOnFailure?: boolean } = {}) {
    return this.optimistic(key, expectedRevision, { requestDeleteRange: { key: enc(key) } }, opts.getOnFailure ?? true);
  }

  private async optimistic(key: string, expectedRevision: number, op: Msg, getOnFailure: boolean): Promise<{ succeeded: boolean; revision: number; kv?: Msg }> {
    const r = await this.call(this.kv, 'Txn', {
      compare: [{ result: 'EQUAL', target: 'MOD', key: enc(key), modRevision: expectedRevision }],
      success: [op],
      failure: getOnFailure ? [{ requestRange: { key: enc(key) } }] : [],
    });
    const kv = !r.succeeded && getOnFailure ? r.responses[0]?.responseRange?.kvs?.[0] : undefined;
    return { succeeded: r.succeeded, revision: Number(r.header.revision), kv };
  }

  /**
   * compact.go's compact(): CAS on the version of compact_rev_key (the compactors' shared
   * clock), then Compact(rev) unless rev is 0 (bootstrap). Returns the new clock, the
   * current revision and the compacted revision (0 if none).
   */
  async compact(expectVersion: number, rev: number): Promise<{ version: number; currentRev: number; compactRev: number }> {
    const r = await this.call(this.kv, 'Txn', {
      compare: [{ result: 'EQUAL', target: 'VERSION', key: enc(COMPACT_REV_KEY), version: expectVersion }],
      success: [{ requestPut: { key: enc(COMPACT_REV_KEY), value: enc(String(rev)) } }],
      failure: [{ requestRange: { key: enc(COMPACT_REV_KEY) } }],
    });
    const currentRev = Number(r.header.revision);
    if (!r.succeeded) {
      const kv = r.responses[0].responseRange.kvs[0];
      return { version: Number(kv.version), currentRev, compactRev: Number(kv.value.toString()) };
    }
    if (rev === 0) return { version: expectVersion + 1, currentRev, compactRev: 0 };
    await this.call(this.kv, 'Compact', { revision: rev });
    return { version: expectVersion + 1, currentRev, compactRev: rev };
  }

  grantLease(ttl: number): Promise<Msg> {
    return this.call(this.lease, 'LeaseGrant', { TTL: ttl });
  }

  close(): void {
    this.kv.close();
    this.lease.close();
    this.maintenance.close();
  }
}

/**
 * lease_manager.go: a lease is reused while it outlives the requested TTL and was granted
 * at most the reuse duration ago (5% of the TTL, capped at leaseReuseDurationSeconds: 60 in
 * kube-apiserver, a parameter here); a new one is granted with that much extra TTL.
 */
export class LeaseManager {
  private prevLeaseId?: string;
  private prevExpiration = 0;

  constructor(
    private readonly etcd: KubeEtcd,
    private readonly leaseReuseDurationSeconds = 60,
    private readonly leaseReuseDurationPercent = 0.05,
    private readonly now: () => number = Date.now,
  ) {}

  async getLease(ttl: number): Promise<string> {
    const now = this.now();
    const reuse = Math.min(Math.floor(this.leaseReuseDurationPercent * ttl), this.leaseReuseDurationSeconds);
    const valid = now + ttl * 1000 < this.prevExpiration;
    const sufficient = now + (ttl + reuse) * 1000 > this.prevExpiration;
    if (this.prevLeaseId !== undefined && valid && sufficient) return this.prevLeaseId;
    const granted = await this.etcd.grantLease(ttl + reuse);
    this.prevLeaseId = String(granted.ID);
    this.prevExpiration = now + (ttl + reuse) * 1000;
    return this.prevLeaseId;
  }
}

/**
 * k8s.io/apiserver pkg/storage/feature/feature_support_checker.go: RequestWatchProgress is
 * used only with etcd >= 3.4.31 outside [3.5.0, 3.5.13), read from Status.version with
 * apimachinery's version.ParseSemantic (strict MAJOR.MINOR.PATCH[-pre][+build]); the
 * comparison here reads the numbers only, as etcd's release versions carry nothing more.
 */
export function supportsRequestWatchProgress(statusVersion: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(statusVersion);
  if (m === null) return false;
  const v = [Number(m[1]), Number(m[2]), Number(m[3])];
  const lt = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  if (lt(v, [3, 4, 31]) < 0) return false;
  if (lt(v, [3, 5, 0]) >= 0 && lt(v, [3, 5, 13]) < 0) return false;
  return true;
}
