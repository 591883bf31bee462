// Linearizability checking in the style of Wing & Gong with Lowe's memoization (as
// in Porcupine): a depth-first search for a sequential order that respects real time
// and the model, over a doubly-linked list of call/return events from which
// linearized operations are lifted out, skipping any (linearized set, state) pair
// already explored. The history is split per model partition first.
import type { Operation } from './history.js';
import type { Model } from './model.js';

export type Verdict = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Distinct (linearized set, state) pairs a partition may explore before giving up; 1,000,000 by default. */
  maxStates?: number;
  /** Wall-clock budget for the whole check; 10 s by default. */
  timeoutMs?: number;
}

export interface PartitionResult<I, O> {
  key: string;
  verdict: Verdict;
  /** Operations checked (unknown-outcome reads are dropped before the search). */
  operations: number;
  states: number;
  ms: number;
  /** On 'illegal': the longest prefix the search linearized, in linearization order. */
  longestPrefix?: Operation<I, O>[];
  /** On 'illegal': a completed operation that could not be placed after that prefix. */
  unplaced?: Operation<I, O>;
  /** On 'illegal': the model state after the longest prefix. */
  stateAfterPrefix?: string;
  /** On 'unknown': why the search stopped. */
  reason?: string;
}

export interface CheckResult<I, O> {
  verdict: Verdict;
  partitions: PartitionResult<I, O>[];
  states: number;
  ms: number;
}

const DEFAULT_MAX_STATES = 1_000_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Iterations between clock reads. */
const CLOCK_STRIDE = 4096;

export function checkHistory<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  opts: CheckOptions = {},
): CheckResult<I, O> {
  const started = performance.now();
  const deadline = started + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    assertWellFormed(op);
    // An unobserved read leaves no trace and changes nothing: it can always be left out.
    if (op.return === undefined && model.readOnly(op.input)) continue;
    const key = model.partition(op.input);
    let ops = byKey.get(key);
    if (ops === undefined) byKey.set(key, (ops = []));
    ops.push(op);
  }
  const partitions: PartitionResult<I, O>[] = [];
  for (const key of [...byKey.keys()].sort()) {
    partitions.push(checkPartition(model, key, byKey.get(key)!, maxStates, deadline));
  }
  const verdicts = new Set(partitions.map((p) => p.verdict));
  const verdict: Verdict = verdicts.has('illegal') ? 'illegal' : verdicts.has('unknown') ? 'unknown' : 'ok';
  return {
    verdict,
    partitions,
    states: partitions.reduce((n, p) => n + p.states, 0),
    ms: performance.now() - started,
  };
}

function assertWellFormed<I, O>(op: Operation<I, O>): void {
  if (!Number.isFinite(op.call)) throw new Error(`operation call time must be finite: ${op.call}`);
  if (op.return === undefined) {
    if (op.output !== undefined) throw new Error('an operation without return must not have an output');
    return;
  }
  if (!(op.return >= op.call)) throw new Error(`operation returns (${op.return}) before its call (${op.call})`);
  if (op.output === undefined) throw new Error('a returned operation must have an output');
}

/** Zobrist hashing: a linearized set is identified by the xor of its members' random words. */
function randomWords(n: number, seed: number): Uint32Array {
  const words = new Uint32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return words;
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: Operation<I, O>[],
  maxStates: number,
  deadline: number,
): PartitionResult<I, O> {
  const started = performance.now();
  const n = ops.length;
  // Nodes 1..2n are events (call of op i, return of op i); node 0 is the list head.
  const events: { node: number; time: number; isCall: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    events.push({ node: 1 + 2 * i, time: ops[i]!.call, isCall: true });
    events.push({ node: 2 + 2 * i, time: ops[i]!.return ?? Infinity, isCall: false });
  }
  // Calls sort before returns at equal times: touching intervals count as concurrent,
  // so clock granularity can only make the check more permissive, never wrong.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = 0;
  for (const e of events) {
    next[last] = e.node;
    prev[e.node] = last;
    last = e.node;
  }
  const opOf = (node: number) => (node - 1) >> 1;
  const isCall = (node: number) => (node & 1) === 1;
  const unlink = (node: number) => {
    next[prev[node]!] = next[node]!;
    if (next[node] !== -1) prev[next[node]!] = prev[node]!;
  };
  const relink = (node: number) => {
    next[prev[node]!] = node;
    if (next[node] !== -1) prev[next[node]!] = node;
  };
  // Removal and reinsertion in reverse order keep the dancing links consistent.
  const lift = (call: number) => {
    unlink(call);
    unlink(call + 1);
  };
  const unlift = (call: number) => {
    relink(call + 1);
    relink(call);
  };

  const h1 = randomWords(n, 0x9e3779b9);
  const h2 = randomWords(n, 0x85ebca6b);
  const h3 = randomWords(n, 0xc2b2ae35);
  let a = 0;
  let b = 0;
  let c = 0;
  const seen = new Set<string>();
  const stackNode = new Int32Array(n);
  const stackState: S[] = [];
  // Observations (steps returning the very state they were given, see Model.step) are
  // placed as early as possible, which loses nothing: any linearization placing one
  // later can move it here, since everything that had to precede it is already placed,
  // and dropping it from later only drops constraints. So the search never branches on
  // where an observation goes.
  const stackForced = new Uint8Array(n);
  let depth = 0;
  let state = model.init(key);
  let completedLeft = ops.reduce((k, op) => k + (op.return === undefined ? 0 : 1), 0);
  let bestDepth = -1;
  let bestPrefix: number[] = [];
  let bestUnplaced = -1;
  let bestState = state;
  let iterations = 0;

  const result = (verdict: Verdict, reason?: string): PartitionResult<I, O> => {
    const r: PartitionResult<I, O> = { key, verdict, operations: n, states: seen.size, ms: performance.now() - started };
    if (verdict === 'illegal') {
      r.longestPrefix = bestPrefix.map((node) => ops[opOf(node)]!);
      r.unplaced = ops[bestUnplaced]!;
      r.stateAfterPrefix = model.describeState(bestState);
    }
    if (reason !== undefined) r.reason = reason;
    return r;
  };

  if (completedLeft === 0) return result('ok');
  let entry = next[0]!;
  for (;;) {
    if (++iterations % CLOCK_STRIDE === 0 && performance.now() > deadline) {
      return result('unknown', `time budget exceeded after ${seen.size} states`);
    }
    if (entry !== -1 && isCall(entry)) {
      const i = opOf(entry);
      const op = ops[i]!;
      const after = model.step(state, op.input, op.output);
      if (after !== undefined) {
        const memo = `${(a ^ h1[i]!) >>> 0},${(b ^ h2[i]!) >>> 0},${(c ^ h3[i]!) >>> 0}|${model.stateKey(after)}`;
        if (!seen.has(memo)) {
          if (seen.size >= maxStates) return result('unknown', `state budget exceeded (${maxStates} states)`);
          seen.add(memo);
          stackNode[depth] = entry;
          stackState[depth] = state;
          stackForced[depth] = after === state && op.output !== undefined ? 1 : 0;
          depth++;
          state = after;
          a ^= h1[i]!;
          b ^= h2[i]!;
          c ^= h3[i]!;
          lift(entry);
          if (op.return !== undefined && --completedLeft === 0) return result('ok');
          entry = next[0]!;
          continue;
        }
      }
      entry = next[entry]!;
      continue;
    }
    // A return of an operation not yet linearized (or the end of the list, reached only
    // past unknown outcomes): this prefix cannot be extended, so undo its last step.
    if (entry !== -1 && depth > bestDepth) {
      bestDepth = depth;
      bestPrefix = Array.from(stackNode.subarray(0, depth));
      bestUnplaced = opOf(entry);
      bestState = state;
    }
    let forced: boolean;
    do {
      if (depth === 0) return result('illegal');
      depth--;
      forced = stackForced[depth] === 1;
      entry = stackNode[depth]!;
      state = stackState[depth]!;
      const i = opOf(entry);
      a ^= h1[i]!;
      b ^= h2[i]!;
      c ^= h3[i]!;
      unlift(entry);
      if (ops[i]!.return !== undefined) completedLeft++;
    } while (forced);
    entry = next[entry]!;
  }
}

/** A human-readable account of a failed check: per illegal key, the longest linearizable prefix and the operation that could not follow it. */
export function explain<S, I, O>(model: Model<S, I, O>, result: CheckResult<I, O>, tail = 10): string {
  const lines: string[] = [`verdict: ${result.verdict} (${result.states} states, ${result.ms.toFixed(1)} ms)`];
  for (const p of result.partitions) {
    if (p.verdict === 'unknown') lines.push(`key ${JSON.stringify(p.key)}: unknown: ${p.reason}`);
    if (p.verdict !== 'illegal') continue;
    const prefix = p.longestPrefix!;
    lines.push(`key ${JSON.stringify(p.key)}: not linearizable; longest linearizable prefix has ${prefix.length} of ${p.operations} operations`);
    if (prefix.length > tail) lines.push(`  … ${prefix.length - tail} earlier operations`);
    for (const op of prefix.slice(-tail)) lines.push(`  ${model.describe(op)}`);
    lines.push(`  state then: ${p.stateAfterPrefix}`);
    lines.push(`  cannot place: ${model.describe(p.unplaced!)}`);
  }
  return lines.join('\n');
}
