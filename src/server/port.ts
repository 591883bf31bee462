// The member port served by this process's EtcdServer: each call is identified
// (token or certificate CN), checked against the auth store as etcd checks it
// before serving, then handed to the server with the caller's identity so that
// proposals carry it to the apply-time check.
import { tmpdir } from 'node:os';
import type * as kv from '../pb/kv.js';
import type * as leasepb from '../pb/lease.js';
import { AlarmType, type AlarmRequest, type MemberWire } from '../pb/maintenance.js';
import type { AuthRaftRequest } from '../auth/apply.js';
import { passwordForLog } from '../auth/password.js';
import type { AuthInfo } from '../auth/store.js';
import {
  asRawAuthError, authInfoOf, checkDelete, checkKeyDelete, checkKeyWrite, checkLeaseKeys, checkMutex, checkPrefixRead, checkPut,
  checkRange, checkTxn, grpcErrorString, permissionError,
} from '../auth/checks.js';
import type {
  Credentials, Encoded, HealthAnswer, HealthVerdict, LeaderKey, MemberPort, SnapshotFile, WatchOutlet, WatchResponse, WatchStreamPort,
} from '../port/member-port.js';
import type { WatchCreate, WatchResult } from '../watch/types.js';
import { Errors, EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { codec, isTooDeep } from '../pb/codec.js';
import { decodeLeaseKeepAliveRequest, decodePutRequest, decodeRangeRequest, encodeLeaseKeepAliveResponse, encodePutResponse, encodeRangeResponse } from '../pb/kv-wire.js';
import { encodeWatchResponse, sharedWatchResponse } from '../pb/watch-wire.js';
import { snapshotScratch, writeBackendSnapshot } from '../bolt/backend-snapshot.js';
import { asServiceError, lock, unlock, type CoordinationServer } from '../v3lock/index.js';
import { campaign, currentLeader, observe, proclaim, resign } from '../v3election/index.js';
import { aggregateText, type Metrics } from '../metrics/index.js';
import type { Member } from '../membership/index.js';
import type { EtcdServer } from './server.js';
import { runHealthChecks } from './health-checks.js';

const memberWire = (m: Member): MemberWire => ({ ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner });

/** The KV messages the port takes and gives encoded (Range and Put have hand codecs: pb/kv-wire). */
const wire = {
  deleteRangeRequest: codec<kv.DeleteRangeRequest>('etcdserverpb.DeleteRangeRequest'),
  deleteRangeResponse: codec<kv.DeleteRangeResponse>('etcdserverpb.DeleteRangeResponse'),
  txnRequest: codec<kv.TxnRequest>('etcdserverpb.TxnRequest'),
  txnResponse: codec<kv.TxnResponse>('etcdserverpb.TxnResponse'),
};

/** A request that does not decode is refused as grpc-go refuses it. */
function unmarshal<T>(decode: (b: Uint8Array) => T, bytes: Uint8Array): T {
  try {
    return decode(bytes);
  } catch (err) {
    // Only a txn nests: this deep, it holds more ops than etcd's check lets through.
    if (isTooDeep(err)) throw Errors.TooManyOps;
    throw new EtcdError(GrpcCode.Internal, `grpc: error unmarshalling request: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class ServerPort implements MemberPort {
  constructor(
    private readonly s: EtcdServer,
    private readonly metrics: Metrics,
    /** The edge threads' metrics (prom-client JSON), summed into /metrics; none when the core serves clients itself. */
    private readonly edgeMetrics: () => Promise<unknown[][]> = async () => [],
  ) {}

  // ---- identity -----------------------------------------------------------------

  private get authOn(): boolean {
    return this.s.auth.enabled;
  }

  private who(c: Credentials): AuthInfo | undefined {
    return authInfoOf(this.s.auth, c, !!this.s.opts.clientCertAuth);
  }

  /** The caller, checked by `check` when auth is on; undefined when it is off. */
  private checked(c: Credentials, check: (ai: AuthInfo | undefined) => void): AuthInfo | undefined {
    if (!this.authOn) return undefined;
    const ai = this.who(c);
    check(ai);
    return ai;
  }

  /**
   * etcd 3.6.12's checks on every endpoint (the release's authOnEveryEndpoint): a user for
   * reads of member state, the root role for maintenance, answered with etcd's gRPC errors.
   */
  private get everyEndpoint(): boolean {
    return this.s.release.has('authOnEveryEndpoint');
  }

  /** etcd's requireAuthInfo: any authenticated caller (3.6 only; 3.4 asks nothing). */
  private user(c: Credentials): AuthInfo | undefined {
    if (!this.everyEndpoint) return undefined;
    return this.checked(c, (ai) => requireUser(ai));
  }

  private isAdmin(ai: AuthInfo | undefined): boolean {
    return permissionError(() => this.s.auth.isAdminPermitted(ai)) === undefined;
  }

  private leaseHook(ai: AuthInfo | undefined) {
    return (id: bigint) => checkLeaseKeys(this.s.auth, this.leaseKeys(id), ai);
  }

  /** Keys attached to a lease as this member sees them; none for a lease it does not know (the request reports that). */
  private leaseKeys(id: bigint): Uint8Array[] {
    try {
      return this.s.leaseTimeToLive({ ID: id, keys: true }).keys;
    } catch (err) {
      if (err instanceof EtcdError) return [];
      throw err;
    }
  }

  // ---- KV --------------------------------------------------------------------------

  async range(bytes: Encoded<kv.RangeRequest>, c: Credentials): Promise<Encoded<kv.RangeResponse>> {
    const req = unmarshal(decodeRangeRequest, bytes);
    this.checked(c, (ai) => checkRange(this.s.auth, req, ai));
    const resp = await this.s.range(req, { raw: true });
    return encodeRangeResponse(resp, resp.raw);
  }

  async put(bytes: Encoded<kv.PutRequest>, c: Credentials): Promise<Encoded<kv.PutResponse>> {
    const req = unmarshal(decodePutRequest, bytes);
    const ai = this.checked(c, (ai) => checkPut(this.s.auth, req, ai, this.leaseHook(ai)));
    return encodePutResponse(await this.s.put(req, ai));
  }

  async deleteRange(bytes: Encoded<kv.DeleteRangeRequest>, c: Credentials): Promise<Encoded<kv.DeleteRangeResponse>> {
    const req = unmarshal(wire.deleteRangeRequest.decode, bytes);
    const ai = this.checked(c, (ai) => checkDelete(this.s.auth, req, ai));
    return wire.deleteRangeResponse.encode(await this.s.deleteRange(req, ai));
  }

  async txn(bytes: Encoded<kv.TxnRequest>, c: Credentials): Promise<Encoded<kv.TxnResponse>> {
    const req = unmarshal(wire.txnRequest.decode, bytes);
    const ai = this.checked(c, (ai) => checkTxn(this.s.auth, req, ai, this.leaseHook(ai)));
    return wire.txnResponse.encode(await this.s.txn(req, ai));
  }

  async compact(req: kv.CompactionRequest, c: Credentials): Promise<kv.CompactionResponse> {
    // etcd 3.6.9+ keeps compaction for the root role.
    const ai = this.checked(c, (ai) => this.everyEndpoint && this.s.auth.isAdminPermitted(ai));
    return this.s.compact(req, ai);
  }

  // ---- watch -----------------------------------------------------------------------

  openWatch(c: Credentials, out: WatchOutlet): WatchStreamPort {
    const s = this.s;
    const send = (r: WatchResult) => {
      const header = s.header(r.revision);
      // A fan-out's events are encoded once, and each watcher's response is that body and its ID.
      return out(sharedWatchResponse(r, header) ?? encodeWatchResponse(r, header));
    };
    const ws = s.watchHub.openStream(send);
    // An identity that cannot be resolved refuses every create on the stream, as etcd does.
    let ai: AuthInfo | undefined;
    let identityError: EtcdError | undefined;
    if (this.authOn) {
      try {
        ai = this.who(c);
      } catch (err) {
        if (!(err instanceof EtcdError)) throw err;
        identityError = err;
      }
    }
    return {
      watch: (req: WatchCreate) => {
        if (ws.isClosed) return;
        // etcd 3.6 refuses a negative start revision before it checks permissions.
        const refusedAnyway = s.release.has('refuseNegativeStartRevision') && (req.startRevision ?? 0) < 0;
        if (this.authOn && !refusedAnyway) {
          const denied = identityError ?? permissionError(() => s.auth.isRangePermitted(ai, req.key, req.rangeEnd ?? new Uint8Array(0)));
          if (denied) {
            const refusal: WatchResponse = {
              header: s.header(), watchId: -1, created: true, canceled: true, cancelReason: grpcErrorString(denied),
              compactRevision: 0, fragment: false, events: [], revision: s.currentRevision,
            };
            out(encodeWatchResponse(refusal));
            return;
          }
        }
        ws.watch(req);
      },
      cancel: (id) => void (ws.isClosed || ws.cancel(id)),
      requestProgress: () => void (ws.isClosed || ws.requestProgress()),
      drained: () => ws.drained(),
      close: () => ws.close(),
    };
  }

  // ---- leases ----------------------------------------------------------------------

  async leaseGrant(req: leasepb.LeaseGrantRequest, c: Credentials): Promise<leasepb.LeaseGrantResponse> {
    const ai = this.checked(c, (ai) => this.everyEndpoint && requireUser(ai));
    return this.s.leaseGrant(req, ai);
  }

  async leaseRevoke(req: leasepb.LeaseRevokeRequest, c: Credentials): Promise<leasepb.LeaseRevokeResponse> {
    const ai = this.checked(c, (ai) => {
      if (this.everyEndpoint) requireUser(ai);
      checkLeaseKeys(this.s.auth, this.leaseKeys(req.ID), ai);
    });
    return this.s.leaseRevoke(req, ai);
  }

  async leaseKeepAlive(bytes: Uint8Array, c: Credentials): Promise<Uint8Array> {
    const req = unmarshal(decodeLeaseKeepAliveRequest, bytes);
    // etcd 3.6's checkLeaseRenew: a user who may write every key of the lease (or root).
    if (this.everyEndpoint) {
      this.checked(c, (ai) => {
        requireUser(ai);
        if (!this.isAdmin(ai)) checkLeaseKeys(this.s.auth, this.leaseKeys(req.ID), ai);
      });
    }
    // The header is taken before the renewal, so its revision is never later than it.
    const header = this.s.header();
    let ttl: number;
    try {
      ttl = await this.s.leaseRenew(req.ID);
    } catch (err) {
      if (err !== Errors.LeaseNotFound) throw err;
      ttl = 0;
    }
    return encodeLeaseKeepAliveResponse({ header, ID: req.ID, TTL: ttl });
  }

  async leaseTimeToLive(req: leasepb.LeaseTimeToLiveRequest, c: Credentials): Promise<leasepb.LeaseTimeToLiveResponse> {
    // etcd 3.6: a user; the keys only for whoever may read each of them (or root).
    if (this.everyEndpoint) {
      this.checked(c, (ai) => {
        requireUser(ai);
        if (req.keys && !this.isAdmin(ai)) for (const k of this.leaseKeys(req.ID)) this.s.auth.isRangePermitted(ai, k, EMPTY);
      });
    }
    try {
      return await this.s.leaseTimeToLiveAnywhere(req);
    } catch (err) {
      // etcd answers a missing lease with TTL -1 rather than an error.
      if (err !== Errors.LeaseNotFound) throw err;
      return { header: this.s.header(), ID: req.ID, TTL: -1, grantedTTL: 0, keys: [] };
    }
  }

  async leaseLeases(c: Credentials): Promise<leasepb.LeaseLeasesResponse> {
    const r = this.s.leaseLeases();
    // etcd 3.6's checkLeaseLeases: a user who may read every key of every lease (or root).
    if (this.everyEndpoint) {
      this.checked(c, (ai) => {
        requireUser(ai);
        if (!this.isAdmin(ai)) for (const l of r.leases) for (const k of this.leaseKeys(l.ID)) this.s.auth.isRangePermitted(ai, k, EMPTY);
      });
    }
    return r;
  }

  // ---- cluster ---------------------------------------------------------------------

  /** etcd's Cluster service fills no revision in its header. */
  private clusterHeader(): kv.ResponseHeader {
    return { ...this.s.header(), revision: 0 };
  }

  private admin(c: Credentials): void {
    this.checked(c, (ai) => this.s.auth.isAdminPermitted(ai));
  }

  async memberList(req: { linearizable?: boolean }, c: Credentials): Promise<{ header: kv.ResponseHeader; members: MemberWire[] }> {
    this.user(c);
    return { header: this.clusterHeader(), members: (await this.s.memberList(!!req.linearizable)).map(memberWire) };
  }

  async memberAdd(req: { peerURLs: string[]; isLearner: boolean }, c: Credentials) {
    this.admin(c);
    const r = await this.s.memberAdd(req.peerURLs ?? [], !!req.isLearner);
    return { header: this.clusterHeader(), member: memberWire(r.member), members: r.members.map(memberWire) };
  }

  async memberRemove(req: { ID: bigint }, c: Credentials) {
    this.admin(c);
    return { header: this.clusterHeader(), members: (await this.s.memberRemove(BigInt(req.ID))).map(memberWire) };
  }

  async memberUpdate(req: { ID: bigint; peerURLs: string[] }, c: Credentials) {
    this.admin(c);
    return { header: this.clusterHeader(), members: (await this.s.memberUpdate(BigInt(req.ID), req.peerURLs ?? [])).map(memberWire) };
  }

  async memberPromote(req: { ID: bigint }, c: Credentials) {
    this.admin(c);
    return { header: this.clusterHeader(), members: (await this.s.memberPromote(BigInt(req.ID))).map(memberWire) };
  }

  // ---- maintenance -----------------------------------------------------------------

  /** etcd 3.4's maintenance server answers its admin checks with the auth store's raw error; 3.6 with etcd's. */
  private maintenanceAdmin(c: Credentials): void {
    if (!this.authOn) return;
    const check = () => this.s.auth.isAdminPermitted(this.who(c));
    if (this.everyEndpoint) check();
    else asRawAuthError(check);
  }

  async status(c: Credentials) {
    this.user(c);
    return this.s.status();
  }

  async hash(c: Credentials) {
    this.maintenanceAdmin(c);
    return this.s.hash();
  }

  async hashKV(req: { revision: number }, c: Credentials) {
    this.maintenanceAdmin(c);
    return this.s.hashKV(req.revision);
  }

  async moveLeader(req: { targetID: bigint }, c: Credentials) {
    if (this.everyEndpoint) this.maintenanceAdmin(c);
    await this.s.moveLeader(BigInt(req.targetID));
    return { header: this.s.header() };
  }

  async alarm(req: AlarmRequest, c: Credentials) {
    // etcd 3.6: listing alarms needs a user, raising or clearing one the root role.
    if (this.everyEndpoint) {
      if ((req.action ?? 0) === 0) this.user(c);
      else this.maintenanceAdmin(c);
    }
    const r = await this.s.alarm(req);
    // etcd 3.4 answers an alarm request without a header; 3.5 added one.
    return this.s.release.has('alarmResponseHeader') ? { header: this.s.header(), ...r } : r;
  }

  async defragment(c: Credentials) {
    this.maintenanceAdmin(c);
    await this.s.defragment();
    return {};
  }

  async snapshot(c: Credentials, signal: AbortSignal): Promise<SnapshotFile> {
    this.maintenanceAdmin(c);
    const scratch = snapshotScratch(this.s.opts.dataDir ?? tmpdir());
    try {
      const view = await this.s.backendSnapshotView();
      const started = performance.now();
      let size: number;
      try {
        size = (await writeBackendSnapshot(view, scratch.path, { signal })).size;
      } finally {
        view.close();
      }
      // etcd times its backend snapshot until the last byte is written out; here that is the
      // copy the edge then streams from, so the stream to the client is not counted.
      this.metrics.backendSnapshot.observe((performance.now() - started) / 1000);
      const version = this.s.release.has('snapshotVersion') ? (this.s.storageVersion() ?? '') : undefined;
      return { path: scratch.path, size, version, release: () => scratch.remove() };
    } catch (err) {
      scratch.remove();
      throw err;
    }
  }

  async downgrade(req: { action: number; version: string }, c: Credentials) {
    this.maintenanceAdmin(c);
    const r = await this.s.downgrade(req.action, req.version);
    return { header: this.s.header(), version: r.version };
  }

  // ---- auth ------------------------------------------------------------------------

  async authenticate(req: { name: string; password: string }) {
    return this.s.authenticate(req.name, req.password);
  }

  async authRequest(req: AuthRaftRequest, c: Credentials): Promise<Record<string, unknown>> {
    // As etcd's v3_server: the password is hashed first, the caller resolved just before proposing.
    const entry = await passwordForLog(req, this.s.auth.bcryptCost, this.s.release.has('hashedPasswordField'));
    return this.s.proposeAuth(entry, this.authOn ? this.who(c) : undefined);
  }

  // ---- lock and election -------------------------------------------------------------
  // The permission checks answer with their own codes; what the KV steps of a lock
  // or an election fail with is reported as etcd's services report it (asServiceError).

  /** The server's own KV calls on the caller's behalf: each step goes through the log as a client's would. */
  private coordination(ai: AuthInfo | undefined): CoordinationServer {
    const s = this.s;
    return {
      watchHub: s.watchHub,
      range: (r) => s.range(r),
      txn: (r) => s.txn(r, ai),
      deleteRange: (r) => s.deleteRange(r, ai),
      header: (rev) => s.header(rev),
    };
  }

  async lock(req: { name: Uint8Array; lease: bigint }, c: Credentials, signal: AbortSignal) {
    const ai = this.checked(c, (ai) => checkMutex(this.s.auth, req.name, ai));
    return asServiceError(lock(this.coordination(ai), req.name, req.lease, signal));
  }

  async unlock(req: { key: Uint8Array }, c: Credentials) {
    const ai = this.checked(c, (ai) => checkKeyDelete(this.s.auth, req.key, ai, false));
    return asServiceError(unlock(this.coordination(ai), req.key));
  }

  async campaign(req: { name: Uint8Array; lease: bigint; value: Uint8Array }, c: Credentials, signal: AbortSignal) {
    const ai = this.checked(c, (ai) => checkMutex(this.s.auth, req.name, ai));
    return asServiceError(campaign(this.coordination(ai), req.name, req.lease, req.value, signal));
  }

  async proclaim(req: { leader?: LeaderKey; value: Uint8Array }, c: Credentials) {
    const ai = this.checked(c, (ai) => checkKeyWrite(this.s.auth, req.leader?.key, ai));
    return asServiceError(proclaim(this.coordination(ai), req.leader, req.value));
  }

  async leader(req: { name: Uint8Array }, c: Credentials) {
    const ai = this.checked(c, (ai) => checkPrefixRead(this.s.auth, req.name, ai));
    return asServiceError(currentLeader(this.coordination(ai), req.name));
  }

  async resign(req: { leader?: LeaderKey }, c: Credentials) {
    const ai = this.checked(c, (ai) => checkKeyDelete(this.s.auth, req.leader?.key, ai));
    return asServiceError(resign(this.coordination(ai), req.leader));
  }

  async observe(req: { name: Uint8Array }, c: Credentials, out: (r: { header: kv.ResponseHeader; kv?: kv.KeyValue }) => void, signal: AbortSignal) {
    const ai = this.checked(c, (ai) => checkPrefixRead(this.s.auth, req.name, ai));
    return observe(this.coordination(ai), req.name, out, signal);
  }

  // ---- HTTP endpoints ----------------------------------------------------------------

  async health(exclude: ReadonlySet<string>): Promise<HealthVerdict> {
    const h = await this.healthCheck(exclude);
    (h.ok ? this.metrics.healthSuccess : this.metrics.healthFailures).inc();
    return h;
  }

  private async healthCheck(exclude: ReadonlySet<string>): Promise<HealthVerdict> {
    const s = this.s;
    if (s.alarms.get(AlarmType.NONE).some((a) => !exclude.has(AlarmType[a.alarm]))) return { ok: false, body: { health: 'false' } };
    if (s.leader === 0n) return { ok: false, body: { health: 'false' } };
    try {
      await withTimeout(s.linearizableReadNotify(), 1000);
      return { ok: true, body: { health: 'true' } };
    } catch {
      return { ok: false, body: { health: 'false' } };
    }
  }

  async healthChecks(path: string, query: string): Promise<HealthAnswer | undefined> {
    return runHealthChecks(this.s, this.metrics, this.s.logger, path, new URLSearchParams(query));
  }

  async version(): Promise<{ etcdserver: string; etcdcluster: string; storage?: string }> {
    return this.s.versions();
  }

  async metricsText(): Promise<string> {
    const edges = await this.edgeMetrics();
    this.metrics.beforeScrape();
    return aggregateText(this.metrics.registry, edges);
  }
}

const EMPTY = new Uint8Array(0);

/** etcd's requireAuthInfo. */
function requireUser(ai: AuthInfo | undefined): void {
  if (!ai || ai.username === '') throw Errors.UserEmpty;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
