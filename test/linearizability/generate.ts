// Random histories known to be linearizable: clients issue operations with random
// overlapping intervals, each takes effect at a random point inside its interval, and
// the outputs come from applying them to a sequential etcd store in that order.
import type { KvInput, KvOperation, KvOutput } from './kv-model.js';
import { mulberry32 } from '../helpers/rng.js';

export type Rng = () => number;

/** A small seeded generator, so that failures replay. */
export const rng = (seed: number): Rng => mulberry32(seed);

export interface GenerateOptions {
  seed: number;
  clients: number;
  opsPerClient: number;
  keys: string[];
  /** Share of operations whose outcome the client never learns; half of those never take effect. */
  unknownRate?: number;
  /** Longest operation interval; intervals of different clients overlap freely. */
  maxLatency?: number;
  /** Also mod-revision-guarded txns (kube-apiserver's writes), in place of a share of the deletes. */
  withTxn?: boolean;
}

interface Planned {
  op: KvOperation;
  /** When the operation takes effect; Infinity for never. */
  at: number;
  kind: KvInput['kind'];
  key: string;
  value: string;
}

function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export function generateKvHistory(o: GenerateOptions): KvOperation[] {
  const r = rng(o.seed);
  const unknownRate = o.unknownRate ?? 0;
  const maxLatency = o.maxLatency ?? 10;
  const planned: Planned[] = [];
  for (let client = 0; client < o.clients; client++) {
    let t = r() * maxLatency;
    for (let j = 0; j < o.opsPerClient; j++) {
      const call = t + r() * maxLatency * 0.3;
      const ret = call + r() * maxLatency;
      const dice = r();
      let kind: KvInput['kind'] = dice < 0.4 ? 'get' : dice < 0.65 ? 'put' : dice < 0.9 ? 'cas' : 'delete';
      if (o.withTxn && (kind === 'delete' || kind === 'cas') && r() < 0.5) kind = 'txn';
      const key = pick(r, o.keys);
      const unknown = r() < unknownRate;
      // An operation with unknown outcome may still take effect long after the client gave up on it.
      const at = unknown ? (r() < 0.5 ? call + r() * maxLatency * 5 : Infinity) : call + r() * (ret - call);
      const op: KvOperation = unknown
        ? { clientId: client, call, input: { kind: 'get', key } }
        : { clientId: client, call, return: ret, input: { kind: 'get', key } };
      planned.push({ op, at, kind, key, value: `c${client}-${j}` });
      t = ret;
    }
  }
  // Inputs are fixed in effect order so that a fair share of compare-and-swaps can succeed.
  const store = new Map<string, { value: string; mod: number }>();
  const written = new Map<string, string[]>();
  let revision = 1;
  for (const p of [...planned].sort((x, y) => x.at - y.at)) {
    const current = store.get(p.key);
    let input: KvInput;
    if (p.kind === 'cas') {
      const seen = written.get(p.key) ?? [];
      const expected = r() < 0.6 || seen.length === 0 ? (current?.value ?? null) : r() < 0.2 ? null : pick(r, seen);
      input = { kind: 'cas', key: p.key, expected, value: p.value };
    } else if (p.kind === 'put') {
      input = { kind: 'put', key: p.key, value: p.value };
    } else if (p.kind === 'txn') {
      // Mostly the key's true mod revision (0 when absent), sometimes a stale one; a fifth delete.
      const mod = current === undefined ? 0 : r() < 0.7 ? current.mod : Math.max(1, current.mod - 1);
      input = { kind: 'txn', key: p.key, modRevision: mod, value: current !== undefined && r() < 0.2 ? null : p.value };
    } else {
      input = { kind: p.kind, key: p.key };
    }
    p.op.input = input;
    if (p.at === Infinity) continue;
    const output = apply(input, store, () => ++revision, revision);
    revision = Math.max(revision, lastRevision(output));
    if (input.kind === 'put' || (input.kind === 'cas' && output.kind === 'cas' && output.succeeded) || (input.kind === 'txn' && input.value !== null && output.kind === 'txn' && output.succeeded)) {
      const values = written.get(p.key) ?? [];
      values.push(input.value!);
      written.set(p.key, values);
    }
    if (p.op.return !== undefined) p.op.output = output;
  }
  return planned.map((p) => p.op).sort((x, y) => x.call - y.call);
}

function lastRevision(o: KvOutput): number {
  return o.revision ?? 0;
}

function apply(
  input: KvInput,
  store: Map<string, { value: string; mod: number }>,
  bump: () => number,
  revision: number,
): KvOutput {
  const current = store.get(input.key);
  switch (input.kind) {
    case 'get':
      return current === undefined
        ? { kind: 'get', value: null, revision }
        : { kind: 'get', value: current.value, modRevision: current.mod, revision };
    case 'put': {
      const rev = bump();
      store.set(input.key, { value: input.value, mod: rev });
      return { kind: 'put', revision: rev };
    }
    case 'delete': {
      if (current === undefined) return { kind: 'delete', deleted: 0, revision };
      const rev = bump();
      store.delete(input.key);
      return { kind: 'delete', deleted: 1, revision: rev };
    }
    case 'cas': {
      if ((current?.value ?? null) !== input.expected) return { kind: 'cas', succeeded: false, revision };
      const rev = bump();
      store.set(input.key, { value: input.value, mod: rev });
      return { kind: 'cas', succeeded: true, revision: rev };
    }
    case 'txn': {
      if ((current?.mod ?? 0) !== input.modRevision) return { kind: 'txn', succeeded: false, revision };
      const rev = bump();
      if (input.value === null) store.delete(input.key);
      else store.set(input.key, { value: input.value, mod: rev });
      return { kind: 'txn', succeeded: true, revision: rev };
    }
  }
}

/** A copy of `history` with one completed operation's result changed; undefined when there is none to change. */
export function mutateOneResult(history: readonly KvOperation[], r: Rng): KvOperation[] | undefined {
  const completed = history.map((op, i) => ({ op, i })).filter(({ op }) => op.output !== undefined);
  if (completed.length === 0) return undefined;
  const { op, i } = pick(r, completed);
  const out = op.output!;
  let changed: KvOutput;
  switch (out.kind) {
    case 'get': {
      const values = history.flatMap((h) => (h.input.key === op.input.key && 'value' in h.input ? [h.input.value] : []));
      const others = [...values, null, 'never-written'].filter((v) => v !== out.value);
      const value = pick(r, others);
      changed = value === null ? { kind: 'get', value, revision: out.revision } : { ...out, value };
      break;
    }
    case 'cas':
    case 'txn':
      changed = { ...out, succeeded: !out.succeeded };
      break;
    case 'delete':
      changed = { ...out, deleted: 1 - out.deleted };
      break;
    case 'put':
      changed = { ...out, revision: Math.max(1, (out.revision ?? 2) - 1 - Math.floor(r() * 3)) };
      break;
  }
  const copy = history.map((h) => ({ ...h }));
  copy[i] = { ...op, output: changed };
  return copy;
}
