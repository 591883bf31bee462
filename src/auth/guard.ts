// Checks each client call against the auth store before it reaches the server,
// as etcd's v3rpc and apply layers do: who is asking comes from the "token"
// metadata or, with --client-cert-auth and no token, the certificate's CN.
import type { CallContext } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import type * as kv from '../pb/kv.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import type { AuthInfo, AuthStore } from './store.js';
import { checkDelete, checkPut, checkTxn } from './kv-check.js';
import { runAs } from './context.js';

type Impl = Record<string, (...args: any[]) => any>;
type Define<T> = (fullName: string, impl: Impl, metrics: T) => any;

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Who the call acts for; undefined when auth is off or the call carries no identity. */
export function authInfoFromCall(server: EtcdServer, call: CallContext): AuthInfo | undefined {
  const store = server.auth;
  if (!store.enabled) return undefined;
  const token = first(call.metadata['token']) ?? first(call.metadata['authorization']);
  if (token !== undefined) return store.authInfoFromToken(token);
  if (server.opts.clientCertAuth) {
    const cn = call.tlsPeerCertificate?.subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    if (name) return { username: name, revision: store.revision };
  }
  return undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Wraps a defineService so that every service it defines is guarded. */
export function guardServices<T>(server: EtcdServer, define: Define<T>): Define<T> {
  return (fullName, impl, metrics) => define(fullName, guard(server, fullName, impl), metrics);
}

function guard(server: EtcdServer, fullName: string, impl: Impl): Impl {
  const checks = CHECKS[fullName] ?? {};
  const out: Impl = { ...impl };
  for (const [method, check] of Object.entries(checks)) {
    const fn = impl[method];
    if (!fn) continue;
    out[method] = async (req: any, call: CallContext) => {
      if (!server.auth.enabled) return fn(req, call);
      const ai = fullName === 'etcdserverpb.Maintenance' ? undefined : authInfoFromCall(server, call);
      if (fullName === 'etcdserverpb.Maintenance') asRawAuthError(() => check(server, req, authInfoFromCall(server, call)));
      else check(server, req, ai);
      // Proposals made for this call name its user, for the check again at apply.
      return runAs(ai, () => fn(req, call));
    };
  }
  if (fullName === 'etcdserverpb.Watch' && impl.Watch) out.Watch = guardWatch(server, impl.Watch);
  // Server streams: checked once, before the first message.
  if (fullName === 'etcdserverpb.Maintenance' && impl.Snapshot) {
    const snapshot = impl.Snapshot;
    out.Snapshot = async (req: any, stream: CallContext) => {
      if (server.auth.enabled) asRawAuthError(() => server.auth.isAdminPermitted(authInfoFromCall(server, stream)));
      return snapshot(req, stream);
    };
  }
  if (fullName === 'v3electionpb.Election' && impl.Observe) {
    const observe = impl.Observe;
    out.Observe = async (req: { name: Uint8Array }, stream: CallContext) => {
      if (server.auth.enabled) checkPrefixRead(server.auth, req.name, authInfoFromCall(server, stream));
      return observe(req, stream);
    };
  }
  return out;
}

type Check = (s: EtcdServer, req: any, ai: AuthInfo | undefined) => void;

const admin: Check = (s, _req, ai) => s.auth.isAdminPermitted(ai);
/** etcd's maintenance server returns the auth store's own error unconverted: code Unknown, "auth: …". */
const maintenanceAdmin: Check = admin;

function asRawAuthError(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof EtcdError) throw new EtcdError(GrpcCode.Unknown, err.message.replace(/^etcdserver: /, 'auth: '));
    throw err;
  }
}
const identify: Check = () => {};

const CHECKS: Record<string, Record<string, Check>> = {
  'etcdserverpb.KV': {
    Range: (s, r: kv.RangeRequest, ai) => s.auth.isRangePermitted(ai, r.key, r.rangeEnd),
    // A lease already holding keys this user may not write cannot be attached to more.
    Put: (s, r: kv.PutRequest, ai) => checkPut(s.auth, r, ai, (id) => checkLeasePuts(s, id, ai)),
    DeleteRange: (s, r: kv.DeleteRangeRequest, ai) => checkDelete(s.auth, r, ai),
    Txn: (s, r: kv.TxnRequest, ai) => checkTxn(s.auth, r, ai, (id) => checkLeasePuts(s, id, ai)),
    Compact: identify,
  },
  'etcdserverpb.Lease': {
    LeaseGrant: identify,
    LeaseRevoke: (s, r: { ID: bigint }, ai) => checkLeasePuts(s, r.ID, ai),
  },
  'etcdserverpb.Maintenance': { Defragment: maintenanceAdmin, Hash: maintenanceAdmin, HashKV: maintenanceAdmin },
  'etcdserverpb.Cluster': { MemberAdd: admin, MemberRemove: admin, MemberUpdate: admin, MemberPromote: admin },
  'v3lockpb.Lock': {
    Lock: (s, r: { name: Uint8Array; lease: bigint }, ai) => checkMutex(s.auth, r.name, ai),
    Unlock: (s, r: { key: Uint8Array }, ai) => s.auth.isDeleteRangePermitted(ai, r.key, EMPTY),
  },
  'v3electionpb.Election': {
    Campaign: (s, r: { name: Uint8Array }, ai) => checkMutex(s.auth, r.name, ai),
    Proclaim: (s, r: { leader?: { key: Uint8Array } }, ai) => {
      const key = r.leader?.key ?? EMPTY;
      s.auth.isRangePermitted(ai, key, EMPTY);
      s.auth.isPutPermitted(ai, key);
    },
    Leader: (s, r: { name: Uint8Array }, ai) => checkPrefixRead(s.auth, r.name, ai),
    Resign: (s, r: { leader?: { key: Uint8Array } }, ai) => {
      const key = r.leader?.key ?? EMPTY;
      s.auth.isRangePermitted(ai, key, EMPTY);
      s.auth.isDeleteRangePermitted(ai, key, EMPTY);
    },
  },
};

/** Revoking a lease deletes its keys: the user must be able to write each of them. */
function checkLeasePuts(s: EtcdServer, id: bigint, ai: AuthInfo | undefined): void {
  let keys: Uint8Array[];
  try {
    keys = s.leaseTimeToLive({ ID: id, keys: true }).keys;
  } catch (err) {
    // A missing lease is the request's own error, reported by the server; a follower
    // cannot see lease keys, and the leader checks nothing more than we would.
    if (err instanceof EtcdError) return;
    throw err;
  }
  for (const k of keys) s.auth.isPutPermitted(ai, k);
}

/** Locks and campaigns write a key under "<name>/" and read the whole prefix. */
function checkMutex(store: AuthStore, name: Uint8Array, ai: AuthInfo | undefined): void {
  const prefix = Buffer.concat([name, enc.encode('/')]);
  store.isRangePermitted(ai, prefix, prefixEnd(prefix));
  store.isDeleteRangePermitted(ai, prefix, prefixEnd(prefix));
}

function checkPrefixRead(store: AuthStore, name: Uint8Array, ai: AuthInfo | undefined): void {
  const prefix = Buffer.concat([name, enc.encode('/')]);
  store.isRangePermitted(ai, prefix, prefixEnd(prefix));
}

function prefixEnd(key: Uint8Array): Uint8Array {
  const end = Buffer.from(key);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Uint8Array.of(0);
}

interface WatchCall {
  metadata: CallContext['metadata'];
  on(event: string, fn: (...a: any[]) => void): unknown;
  write(msg: unknown): boolean;
  ended: boolean;
}

/** Watch creates over ranges the caller may not read are answered created-and-canceled, as etcd does. */
function guardWatch(server: EtcdServer, watch: (call: any) => unknown): (call: any) => unknown {
  return (call: WatchCall & CallContext) => {
    if (!server.auth.enabled) return watch(call);
    let ai: AuthInfo | undefined;
    let identityError: EtcdError | undefined;
    try {
      ai = authInfoFromCall(server, call);
    } catch (err) {
      identityError = err as EtcdError;
    }
    const on = call.on.bind(call);
    call.on = (event: string, fn: (...a: any[]) => void) => {
      if (event !== 'data') return on(event, fn);
      return on('data', (req: { createRequest?: { key: Uint8Array; rangeEnd: Uint8Array } }) => {
        if (req.createRequest && server.auth.enabled) {
          const denied = identityError ?? permissionError(() => server.auth.isRangePermitted(ai, req.createRequest!.key, req.createRequest!.rangeEnd));
          if (denied) {
            if (!call.ended) {
              call.write({ header: server.header(), watchId: -1, created: true, canceled: true, cancelReason: grpcErrorString(denied), compactRevision: 0, fragment: false, events: [] });
            }
            return;
          }
        }
        fn(req);
      });
    };
    return watch(call);
  };
}

function permissionError(check: () => void): EtcdError | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof EtcdError) return err;
    throw err;
  }
}

/** How grpc-go prints a status error, which etcd puts in a watch's cancel reason. */
function grpcErrorString(err: EtcdError): string {
  const names: Record<number, string> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 16: 'Unauthenticated', 9: 'FailedPrecondition' };
  return `rpc error: code = ${names[err.code] ?? String(err.code)} desc = ${err.message}`;
}
