// The permission checks a member makes before it serves a client call (etcd's
// v3rpc and EtcdServer checks; the apply-time ones are kv-check.ts): who the
// caller is, from its token or certificate, and whether it may touch the keys
// the call names.
import type * as kv from '../pb/kv.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import type { AuthInfo, AuthStore } from './store.js';
import { checkDelete, checkPut, checkTxn, type LeaseHook } from './kv-check.js';

const EMPTY = new Uint8Array(0);
const SLASH = Buffer.from('/');

/** How a call identifies its caller. */
export interface CallerIdentity {
  /** The "token" (or "authorization") metadata of the call. */
  token?: string;
  /** The CN of the client certificate on a TLS connection that presented one. */
  commonName?: string;
}

/**
 * Who the call acts for; undefined when auth is off or the call carries no
 * identity. A token that is not (or no longer) valid is refused with etcd's error.
 */
export function authInfoOf(store: AuthStore, who: CallerIdentity, clientCertAuth: boolean): AuthInfo | undefined {
  if (!store.enabled) return undefined;
  if (who.token !== undefined) return store.authInfoFromToken(who.token);
  if (clientCertAuth && who.commonName) return { username: who.commonName, revision: store.revision };
  return undefined;
}

export function checkRange(store: AuthStore, r: kv.RangeRequest, ai: AuthInfo | undefined): void {
  store.isRangePermitted(ai, r.key, r.rangeEnd);
}

export { checkPut, checkDelete, checkTxn, type LeaseHook };

/** Revoking a lease deletes its keys, and attaching one adds to them: the user must be able to write each. */
export function checkLeaseKeys(store: AuthStore, keys: readonly Uint8Array[], ai: AuthInfo | undefined): void {
  for (const k of keys) store.isPutPermitted(ai, k);
}

/** Locks and campaigns write a key under "<name>/" and read the whole prefix. */
export function checkMutex(store: AuthStore, name: Uint8Array, ai: AuthInfo | undefined): void {
  const prefix = Buffer.concat([name, SLASH]);
  store.isRangePermitted(ai, prefix, prefixEnd(prefix));
  store.isDeleteRangePermitted(ai, prefix, prefixEnd(prefix));
}

export function checkPrefixRead(store: AuthStore, name: Uint8Array, ai: AuthInfo | undefined): void {
  const prefix = Buffer.concat([name, SLASH]);
  store.isRangePermitted(ai, prefix, prefixEnd(prefix));
}

/** Proclaim rewrites the leader's key. */
export function checkKeyWrite(store: AuthStore, key: Uint8Array | undefined, ai: AuthInfo | undefined): void {
  store.isRangePermitted(ai, key ?? EMPTY, EMPTY);
  store.isPutPermitted(ai, key ?? EMPTY);
}

/** Resign and Unlock delete the caller's key. */
export function checkKeyDelete(store: AuthStore, key: Uint8Array | undefined, ai: AuthInfo | undefined, read = true): void {
  if (read) store.isRangePermitted(ai, key ?? EMPTY, EMPTY);
  store.isDeleteRangePermitted(ai, key ?? EMPTY, EMPTY);
}

/** etcd's maintenance server returns the auth store's own error unconverted: code Unknown, "auth: …". */
export function asRawAuthError<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof EtcdError) throw new EtcdError(GrpcCode.Unknown, err.message.replace(/^etcdserver: /, 'auth: '));
    throw err;
  }
}

/** The check's own error, or undefined when it passes. */
export function permissionError(check: () => void): EtcdError | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof EtcdError) return err;
    throw err;
  }
}

/** How grpc-go prints a status error, which etcd puts in a watch's cancel reason. */
export function grpcErrorString(err: EtcdError): string {
  const names: Record<number, string> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 16: 'Unauthenticated', 9: 'FailedPrecondition' };
  return `rpc error: code = ${names[err.code] ?? String(err.code)} desc = ${err.message}`;
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
