// What must hold after any fault schedule, once the faults are healed: the history is
// linearizable (per key, and in revisions across keys), every acknowledged write is in
// every member's store at the revision it was acknowledged at, and all members
// converge to the same HashKV at one revision.
import { checkHistory, explain } from '../linearizability/checker.js';
import { kvModel, type KvOperation } from '../linearizability/kv-model.js';
import { checkRevisions } from '../linearizability/revisions.js';
import { grpcKv } from '../helpers/grpc.js';
import { Client } from '../../src/client/index.js';
import type { ClusterMember } from '../helpers/cluster.js';
import { ackedWrites } from './workload.js';

export interface Verification {
  verdict: 'ok' | 'illegal' | 'unknown';
  /** Set when the verdict is not ok, or revisions or writes are wrong. */
  problems: string[];
  operations: number;
  ackedWrites: number;
  checkMs: number;
  /** The revision all members agreed at, and its HashKV. */
  convergedRevision: number;
  hash: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every member reports the same applied index and revision, then compares HashKV there. */
export async function converge(members: ClusterMember[], timeoutMs: number): Promise<{ revision: number; hash: number }> {
  const clients = members.map((m) => new Client({ endpoints: [m.endpoint] }));
  try {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (let i = 0; i < 1000; i++) {
      try {
        const st = await Promise.all(clients.map((cl) => cl.maintenance.status({ timeoutMs: 2000 })));
        const revs = st.map((s) => Number(s.header!.revision));
        last = `applied ${st.map((s) => s.raftAppliedIndex).join(' ')}, revisions ${revs.join(' ')}`;
        if (new Set(st.map((s) => s.raftAppliedIndex)).size === 1 && new Set(revs).size === 1) {
          const hashes = await hashesAt(clients, revs[0]!);
          if (hashes !== undefined) {
            const distinct = new Set(hashes.map((h) => h.hash));
            if (distinct.size !== 1) throw new Error(`HashKV at revision ${revs[0]} differs: ${hashes.map((h) => h.hash).join(' ')}`);
            return { revision: revs[0]!, hash: Number(hashes[0]!.hash) };
          }
          last = `revision ${revs[0]} moved on while hashing`;
        }
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('HashKV')) throw err;
        last = `status failed: ${(err as Error).message}`;
      }
      if (Date.now() > deadline) break;
      await sleep(100);
    }
    throw new Error(`members did not converge within ${timeoutMs} ms: ${last}`);
  } finally {
    await Promise.all(clients.map((cl) => cl.close()));
  }
}

/**
 * Every member's HashKV at revision `rev`. etcd refuses a HashKV at the compaction revision
 * itself (rev <= compactRev: "required revision has been compacted"), which is where a store
 * is left when its last write was followed by a compaction at it. Then the current revision
 * is hashed (revision 0, which skips that check) and must still be `rev` on every member;
 * undefined if it no longer is.
 */
async function hashesAt(clients: Client[], rev: number) {
  try {
    return await Promise.all(clients.map((cl) => cl.maintenance.hashKV(rev, { timeoutMs: 2000 })));
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes('required revision has been compacted')) throw err;
  }
  const current = await Promise.all(clients.map((cl) => cl.maintenance.hashKV(0, { timeoutMs: 2000 })));
  return current.every((h) => Number(h.header!.revision) === rev) ? current : undefined;
}

/** Every acknowledged write, read back from each member (serializably, at its revision): the missing ones. */
async function missingWrites(members: ClusterMember[], history: readonly KvOperation[]): Promise<string[]> {
  const writes = ackedWrites(history);
  const missing: string[] = [];
  for (const m of members) {
    const conn = grpcKv(m.endpoint);
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < writes.length) {
            const w = writes[next++]!;
            const res = await conn.kv.range({ key: Buffer.from(w.key), revision: String(w.revision), serializable: true }, { timeoutMs: 5000 });
            const kv = (res.kvs ?? [])[0];
            const ok = kv !== undefined && Number(kv.modRevision) === w.revision && (kv.value as Buffer).toString('utf8') === w.value;
            if (!ok && missing.length < 20) missing.push(`${m.name}: ${w.key}=${JSON.stringify(w.value)} acknowledged at revision ${w.revision}`);
          }
        }),
      );
    } finally {
      conn.close();
    }
  }
  return missing;
}

export async function verify(members: ClusterMember[], history: KvOperation[], opts: { checkTimeoutMs?: number; convergeTimeoutMs?: number } = {}): Promise<Verification> {
  const model = kvModel();
  const problems: string[] = [];
  const result = checkHistory(model, history, { timeoutMs: opts.checkTimeoutMs ?? 10_000 });
  if (result.verdict !== 'ok') problems.push(explain(model, result));
  for (const v of checkRevisions(history)) problems.push(`${v.message}: ${v.operations.map((op) => model.describe(op)).join(' / ')}`);
  const converged = await converge(members, opts.convergeTimeoutMs ?? 15_000);
  for (const w of await missingWrites(members, history)) problems.push(`lost write: ${w}`);
  return {
    verdict: result.verdict,
    problems,
    operations: history.length,
    ackedWrites: ackedWrites(history).length,
    checkMs: result.ms,
    convergedRevision: converged.revision,
    hash: converged.hash,
  };
}
