// Model test: random writes, compactions and history reads against the store on both
// backends, checked against a model that keeps every revision's full state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { decodeKeyValue } from '../../src/pb/keyvalue.js';
import { bytesToRev, isTombstone, revToBytes } from '../../src/mvcc/revision.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { EventType } from '../../src/pb/kv.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { b, rng, s, tempDir } from './util.js';

interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}
type State = Map<string, ModelKv>;

class Model {
  /** states[rev] is the whole keyspace at rev. */
  readonly states: State[] = [new Map(), new Map()];
  /** changes[rev]: "key:p" per put, "key:t" per tombstone, in txn order. */
  readonly changes: string[][] = [[], []];
  compacted = 0;
  get rev(): number {
    return this.states.length - 1;
  }
  /** Applies one write txn; returns the events it should produce. */
  write(ops: Op[]): string[] {
    const rev = this.rev + 1;
    const st = new Map(this.states[this.rev]);
    const events: string[] = [];
    for (const op of ops) {
      if (op.kind === 'put') {
        const old = st.get(op.key);
        const kv = { value: op.value, create: old?.create ?? rev, mod: rev, version: (old?.version ?? 0) + 1, lease: op.lease };
        st.set(op.key, kv);
        events.push(eventString('PUT', op.key, kv.value, kv.create, kv.mod, kv.version, kv.lease, old?.value));
      } else {
        for (const k of [...st.keys()].sort()) {
          if (inRange(k, op.key, op.end)) {
            events.push(eventString('DELETE', k, '', 0, rev, 0, 0n, st.get(k)!.value));
            st.delete(k);
          }
        }
      }
    }
    if (events.length > 0) {
      this.states.push(st);
      this.changes.push(events.map((e) => `${JSON.stringify(e.split(' ')[1].split('=')[0])}:${e.startsWith('PUT') ? 'p' : 't'}`));
    }
    return events;
  }
  /**
   * What the key bucket must hold after compacting at `compacted`: "main key:p|t" entries.
   * A key deleted at exactly the compaction revision keeps that tombstone (etcd 3.5.18+),
   * with whatever the same txn did to the key after it.
   */
  retained(): string[] {
    const out: string[] = [];
    const atCompacted = new Map<string, string[]>();
    for (const c of this.changes[this.compacted]) {
      const name = c.slice(0, -2);
      atCompacted.set(name, [...(atCompacted.get(name) ?? []), c]);
    }
    const fromTombstone = new Map<string, string[]>();
    for (const [name, cs] of atCompacted) {
      const first = cs.findIndex((c) => c.endsWith(':t'));
      if (first >= 0) fromTombstone.set(name, cs.slice(first));
    }
    for (const [k, kv] of this.states[this.compacted]) {
      const name = JSON.stringify(JSON.stringify(k));
      if (!fromTombstone.has(name)) out.push(`${kv.mod} ${name}:p`);
    }
    for (const cs of fromTombstone.values()) for (const c of cs) out.push(`${this.compacted} ${c}`);
    for (let r = this.compacted + 1; r <= this.rev; r++) for (const c of this.changes[r]) out.push(`${r} ${c}`);
    return out.sort();
  }

  range(key: string, end: string | undefined, rev: number): [string, ModelKv][] {
    const st = this.states[rev === 0 ? this.rev : rev];
    return [...st.entries()].filter(([k]) => inRange(k, key, end)).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  }
}

function eventString(type: string, key: string, value: string, create: number, mod: number, version: number, lease: bigint, prev: string | undefined): string {
  return `${type} ${JSON.stringify(key)}=${value} c${create} m${mod} v${version} l${lease} prev=${prev ?? '-'}`;
}

type Op = { kind: 'put'; key: string; value: string; lease: bigint } | { kind: 'del'; key: string; end?: string };

function keyBucket(be: Backend): string[] {
  const out: string[] = [];
  for (const [k, v] of be.range('key', revToBytes(0, 0))) {
    out.push(`${bytesToRev(k).main} ${JSON.stringify(JSON.stringify(s(decodeKeyValue(v).key)))}:${isTombstone(k) ? 't' : 'p'}`);
  }
  return out.sort();
}

function inRange(k: string, key: string, end: string | undefined): boolean {
  if (end === undefined) return k === key;
  if (end === '\0') return k >= key;
  return k >= key && k < end;
}

const KEYS = ['a', 'a1', 'a2', 'b', 'b\xff', 'c', 'c0', 'd', 'e', 'f\x00x'];

function runModel(seed: number, steps: number, dir: string): Promise<void> {
  return (async () => {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const model = new Model();
    const mem = new MemoryBackend();
    let lmdb: Backend = LmdbBackend.open(dir);
    let stores = [MvccStore.open(mem), MvccStore.open(lmdb)];
    const randomEnd = (): string | undefined => {
      const x = r();
      return x < 0.4 ? undefined : x < 0.55 ? '\0' : pick(KEYS);
    };
    try {
      for (let i = 0; i < steps; i++) {
        const x = r();
        if (x < 0.45) {
          const ops: Op[] = [];
          const n = 1 + Math.floor(r() * 3);
          for (let j = 0; j < n; j++) {
            ops.push(r() < 0.75 ? { kind: 'put', key: pick(KEYS), value: `v${i}.${j}`, lease: r() < 0.2 ? BigInt(1 + Math.floor(r() * 3)) : 0n } : { kind: 'del', key: pick(KEYS), end: randomEnd() });
          }
          const want = model.write(ops);
          for (const st of stores) {
            const t = st.write();
            for (const op of ops) {
              if (op.kind === 'put') t.put(b(op.key), b(op.value), op.lease);
              else t.deleteRange(b(op.key), op.end === undefined ? undefined : b(op.end));
            }
            // Reads inside the txn see its own writes, counts included.
            const [rk, re] = [pick(KEYS), randomEnd()];
            const inTxn = t.range(b(rk), re === undefined ? undefined : b(re), { limit: 1 });
            assert.equal(inTxn.count, model.range(rk, re, 0).length, `seed ${seed} step ${i}: count inside the txn`);
            const got = t.end().map((e) =>
              eventString(e.type === EventType.PUT ? 'PUT' : 'DELETE', s(e.kv.key), s(e.kv.value), e.kv.createRevision, e.kv.modRevision, e.kv.version, e.kv.lease, e.prevKv && s(e.prevKv.value)),
            );
            assert.deepEqual(got, want, `seed ${seed} step ${i}: events`);
          }
        } else if (x < 0.5) {
          if (model.rev > model.compacted) {
            const at = model.compacted + 1 + Math.floor(r() * (model.rev - model.compacted));
            model.compacted = at;
            for (const st of stores) st.compact(at);
            for (const be of [mem, lmdb]) assert.deepEqual(keyBucket(be), model.retained(), `seed ${seed} step ${i}: key bucket after compact(${at})`);
          }
        } else if (x < 0.98) {
          const key = pick(KEYS);
          const end = randomEnd();
          const rev = r() < 0.3 ? 0 : Math.floor(r() * (model.rev + 2));
          const limit = r() < 0.3 ? 1 + Math.floor(r() * 3) : 0;
          for (const st of stores) {
            assert.equal(st.rev(), model.rev, `seed ${seed} step ${i}: revision`);
            if (rev > model.rev) {
              assert.throws(() => st.range(b(key), end === undefined ? undefined : b(end), { rev }), (e) => e === Errors.FutureRev);
              continue;
            }
            if (rev !== 0 && rev < model.compacted) {
              assert.throws(() => st.range(b(key), end === undefined ? undefined : b(end), { rev }), (e) => e === Errors.Compacted);
              continue;
            }
            const want = model.range(key, end, rev);
            const got = st.range(b(key), end === undefined ? undefined : b(end), { rev, limit });
            assert.equal(got.count, want.length, `seed ${seed} step ${i}: count of ${key}..${end}@${rev}`);
            const wantKvs = (limit ? want.slice(0, limit) : want).map(([k, v]) => [k, v.value, v.create, v.mod, v.version, v.lease]);
            const gotKvs = got.kvs.map((kv) => [s(kv.key), s(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease]);
            assert.deepEqual(gotKvs, wantKvs, `seed ${seed} step ${i}: range ${key}..${end}@${rev}`);
          }
        } else {
          // Restart: commit and rebuild both stores from their backends.
          await mem.commit();
          await lmdb.commit();
          await lmdb.close();
          lmdb = LmdbBackend.open(dir);
          stores = [MvccStore.open(mem), MvccStore.open(lmdb)];
        }
        if (i % 50 === 0) {
          const [h1, h2] = stores.map((st) => st.hashKV(0));
          assert.deepEqual(h1, h2, `seed ${seed} step ${i}: hashKV differs between backends`);
        }
      }
    } finally {
      await lmdb.close();
    }
  })();
}

for (const seed of [1, 2, 3, 4]) {
  test(`model: seed ${seed}`, async () => {
    const dir = tempDir('etcd-ts-model-');
    try {
      await runModel(seed, 1500, dir.path);
    } finally {
      dir.remove();
    }
  });
}
