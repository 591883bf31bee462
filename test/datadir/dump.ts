// Everything a member serves about its data, read over the v3 API, so that an
// etcd member and the etcd-ts member that took its data dir over (or the etcd member
// it was handed back to) can be compared whole: IDs, revision, every key with its
// revisions, version and lease, leases with their keys, users, roles and permissions,
// auth on, and HashKV at the revision.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { etcdctl } from '../helpers/etcdctl.js';
import { Client } from '../../src/client/index.js';

export const ROOT_USER = ['--user', 'root:rootpw'];


export interface MemberDump {
  clusterId: string;
  memberId: string;
  members: unknown[];
  revision: number;
  compactRevision: number;
  hashKv: number;
  kvs: unknown[];
  leases: unknown[];
  users: unknown[];
  roles: unknown[];
  authRequired: boolean;
}

const text = (b: Uint8Array) => Buffer.from(b).toString();

/** Reads the member's whole state over one client connection (as root when `auth`, which fill() turns on). */
export async function dumpMember(endpoint: string, auth = true): Promise<MemberDump> {
  const c = new Client({ endpoints: [endpoint], ...(auth ? { username: 'root', password: 'rootpw' } : {}) });
  try {
    // A linearizable read first: a member that just restarted may hold log entries it
    // commits only with its new term's first entry, and Status reports what is applied.
    await c.kv.get('dump-barrier');
    const status = await c.maintenance.status();
    const revision = Number(status.header!.revision);
    const got = await c.kv.get('', { prefix: true, revision });
    const kvs = got.kvs.map((kv) => ({ key: text(kv.key), value: text(kv.value), create: Number(kv.createRevision), mod: Number(kv.modRevision), version: Number(kv.version), lease: BigInt(kv.lease).toString(16) }));
    const hash = await c.maintenance.hashKV(revision);
    const leases = [];
    for (const { ID } of (await c.lease.leases()).leases.sort((a, b) => (a.ID < b.ID ? -1 : 1))) {
      const t = await c.lease.timeToLive(ID, { keys: true });
      leases.push({ id: ID.toString(16), grantedTtl: Number(t.grantedTTL), keys: t.keys.map(text).sort() });
    }
    const users = [];
    for (const u of (await c.auth.userList()).users) users.push({ name: u, roles: (await c.auth.userGet(u)).roles });
    const roles = [];
    for (const r of (await c.auth.roleList()).roles) {
      roles.push({ name: r, perms: (await c.auth.roleGet(r)).perm.map((p) => ({ type: p.permType, key: text(p.key), rangeEnd: text(p.rangeEnd) })) });
    }
    const members = (await c.cluster.memberList()).members.map((m) => ({ id: m.ID.toString(16), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner }));
    const anon = await etcdctl(endpoint, ['get', 'a']);
    return {
      clusterId: BigInt(status.header!.clusterId).toString(16),
      memberId: BigInt(status.header!.memberId).toString(16),
      members,
      revision,
      compactRevision: Number(hash.compactRevision),
      hashKv: Number(hash.hash),
      kvs,
      leases,
      users,
      roles,
      authRequired: anon.code !== 0 && /user name is empty|permission denied|invalid auth token/.test(anon.stderr),
    };
  } finally {
    await c.close();
  }
}

/**
 * Every file under `dir` except `skip` (relative paths), in order: path, size, inode,
 * modification and change times (any write moves them), and the content hash of files
 * up to 1 MiB (etcd's preallocated 64 MB WAL segments are not read again each time).
 */
export function treeDigest(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip(rel)) continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${rel} ${st.size} ${st.ino} ${st.mtimeMs} ${st.ctimeMs} ${st.size <= 1 << 20 ? createHash('sha256').update(readFileSync(p)).digest('hex') : ''}`);
    }
  };
  walk(dir);
  return out;
}
