// v3election: leader election on a name, as etcd's election service builds it
// from clientv3/concurrency.Election. Candidates hold `<name>/<lease hex>` keys;
// the leader is the oldest by create revision; its value is what it proclaims.
import type * as kv from '../pb/kv.js';
import { EventType } from '../pb/kv.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { HubWatch, waitDeletes, firstCreate, prefixEnd, sessionKey, type CoordinationServer } from '../v3lock/index.js';
import { createRevisionIs, deleteOp, getOp, putOp, rangeReq } from '../v3lock/kv.js';

// Plain errors in etcd's election service, so gRPC reports them as Unknown.
export const ErrElectionNotLeader = new EtcdError(GrpcCode.Unknown, 'election: not leader');
export const ErrElectionNoLeader = new EtcdError(GrpcCode.Unknown, 'election: no leader');
export const ErrMissingLeaderKey = new EtcdError(GrpcCode.Unknown, '"leader" field must be provided');

export interface LeaderKey {
  name: Uint8Array;
  key: Uint8Array;
  rev: number;
  lease: bigint;
}

const prefixOf = (name: Uint8Array) => Buffer.concat([name, Buffer.from('/')]);

/** Blocks until the caller leads; a repeated campaign with the same lease resumes its candidacy. */
export async function campaign(s: CoordinationServer, name: Uint8Array, lease: bigint, value: Uint8Array, signal?: AbortSignal): Promise<{ header: kv.ResponseHeader; leader: LeaderKey }> {
  const prefix = prefixOf(name);
  const key = sessionKey(prefix, lease);
  const resp = await s.txn({ compare: [createRevisionIs(key, 0)], success: [putOp(key, value, lease)], failure: [getOp(rangeReq(key))] });
  let rev = resp.header!.revision;
  const leader = (): LeaderKey => ({ name, key, rev, lease });
  if (!resp.succeeded) {
    const cur = resp.responses[0].responseRange!.kvs[0];
    rev = cur.createRevision;
    if (Buffer.compare(Buffer.from(cur.value), Buffer.from(value)) !== 0) {
      try {
        await proclaim(s, leader(), value);
      } catch (err) {
        await resign(s, leader()).catch(() => {});
        throw err;
      }
    }
  }
  try {
    await waitDeletes(s, prefix, rev - 1, signal);
  } catch (err) {
    if (signal?.aborted) await resign(s, leader()).catch(() => {});
    throw err;
  }
  return { header: resp.header!, leader: leader() };
}

/** Updates the leader's value, only while the caller still leads with that key. */
export async function proclaim(s: CoordinationServer, leader: LeaderKey | undefined, value: Uint8Array): Promise<{ header: kv.ResponseHeader }> {
  if (!leader) throw ErrMissingLeaderKey;
  const r = await s.txn({ compare: [createRevisionIs(leader.key, leader.rev)], success: [putOp(leader.key, value, leader.lease)], failure: [] });
  if (!r.succeeded) throw ErrElectionNotLeader;
  return { header: r.header! };
}

/** Gives leadership up; a key that is no longer the caller's is left alone. */
export async function resign(s: CoordinationServer, leader: LeaderKey | undefined): Promise<{ header: kv.ResponseHeader }> {
  if (!leader) throw ErrMissingLeaderKey;
  const r = await s.txn({ compare: [createRevisionIs(leader.key, leader.rev)], success: [deleteOp(leader.key)], failure: [] });
  return { header: r.header! };
}

export async function currentLeader(s: CoordinationServer, name: Uint8Array): Promise<{ header: kv.ResponseHeader; kv: kv.KeyValue }> {
  const r = await s.range(firstCreate(prefixOf(name)));
  if (r.kvs.length === 0) throw ErrElectionNoLeader;
  return { header: r.header!, kv: r.kvs[0] };
}

/** Calls send with each leader and each of its proclamations, until signal aborts. */
export async function observe(s: CoordinationServer, name: Uint8Array, send: (r: { header: kv.ResponseHeader; kv: kv.KeyValue }) => void, signal: AbortSignal): Promise<void> {
  const prefix = prefixOf(name);
  while (!signal.aborted) {
    const resp = await s.range(firstCreate(prefix));
    let header: kv.ResponseHeader;
    let leaderKv: kv.KeyValue;
    if (resp.kvs.length > 0) {
      header = resp.header!;
      leaderKv = resp.kvs[0];
    } else {
      // No leader yet: the first key put under the prefix is the next one.
      const w = new HubWatch(s.watchHub, { key: prefix, rangeEnd: prefixEnd(prefix), startRevision: resp.header!.revision }, signal);
      try {
        for (;;) {
          const r = await w.next();
          const put = r.events.find((e) => e.type === EventType.PUT);
          if (put) {
            leaderKv = put.kv;
            header = s.header(put.kv.modRevision);
            break;
          }
        }
      } finally {
        w.close();
      }
    }
    send({ header, kv: leaderKv });
    // Follow this leader's key until it is deleted, reporting each new value.
    const w = new HubWatch(s.watchHub, { key: leaderKv.key, startRevision: header.revision + 1 }, signal);
    try {
      let deleted = false;
      while (!deleted) {
        const r = await w.next();
        for (const ev of r.events) {
          if (ev.type === EventType.DELETE) {
            deleted = true;
            break;
          }
          send({ header: s.header(r.revision), kv: ev.kv });
        }
      }
    } finally {
      w.close();
    }
  }
}
