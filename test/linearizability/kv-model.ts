// etcd's key-value semantics for one key, with revisions: every modification of the
// key takes a revision greater than the key's previous modification, and every
// response header carries a store revision no older than the key's last modification.
import type { Operation } from './history.js';
import type { Model } from './model.js';

export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'delete'; key: string }
  /** Txn: if value(key) == expected (null: the key is absent) then put(key, value). */
  | { kind: 'cas'; key: string; expected: string | null; value: string }
  /**
   * Txn guarded by the key's mod revision, as kube-apiserver writes: if the key was
   * last modified at `modRevision` (0: the key is absent) then put `value` (null:
   * delete the key).
   */
  | { kind: 'txn'; key: string; modRevision: number; value: string | null };

/** Revisions are optional: a history that did not record them is checked on values only. */
export type KvOutput =
  | { kind: 'put'; revision?: number }
  | { kind: 'get'; value: string | null; modRevision?: number; revision?: number }
  | { kind: 'delete'; deleted: number; revision?: number }
  | { kind: 'cas'; succeeded: boolean; revision?: number }
  | { kind: 'txn'; succeeded: boolean; revision?: number };

export type KvOperation = Operation<KvInput, KvOutput>;

export interface KvState {
  value: string | null;
  /** The revision of the key's last modification (0: never modified); a lower bound when !exact. */
  rev: number;
  /** False after a modification whose revision was never observed: the true revision is > rev. */
  exact: boolean;
}

/** Whether `r` may be the revision of the key's last modification. */
function isLastModification(s: KvState, r: number): boolean {
  return s.exact ? r === s.rev : r > s.rev;
}

/** Whether `r` may be the revision of a modification made after the key's last one. */
function isNextModification(s: KvState, r: number): boolean {
  return r > s.rev;
}

/** Whether a header revision `h` read now is no older than the key's last modification. */
function isCurrentHeader(s: KvState, h: number): boolean {
  return s.exact ? h >= s.rev : h > s.rev;
}

function modified(value: string | null, revision: number | undefined, s: KvState): KvState {
  if (revision === undefined) return { value, rev: s.rev, exact: false };
  return { value, rev: revision, exact: true };
}

function stepPut(s: KvState, value: string, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) return modified(value, undefined, s);
  if (out.kind !== 'put') return undefined;
  if (out.revision !== undefined && !isNextModification(s, out.revision)) return undefined;
  return modified(value, out.revision, s);
}

function stepGet(s: KvState, out: KvOutput | undefined): KvState | undefined {
  if (out === undefined) return s;
  if (out.kind !== 'get' || out.value !== s.value) return undefined;
  if (out.revision !== undefined && !isCurrentHeader(s, out.revision)) return undefined;
  if (out.modRevision === undefined || s.value === null) return s;
  if (!isLastModification(s, out.modRevision)) return undefined;
  // A read pins down a revision that an unobserved write had left open.
  return s.exact ? s : { value: s.value, rev: out.modRevision, exact: true };
}

function stepDelete(s: KvState, out: KvOutput | undefined): KvState | undefined {
  const present = s.value !== null;
  if (out === undefined) return present ? modified(null, undefined, s) : s;
  if (out.kind !== 'delete' || out.deleted !== (present ? 1 : 0)) return undefined;
  if (!present) return out.revision === undefined || isCurrentHeader(s, out.revision) ? s : undefined;
  if (out.revision !== undefined && !isNextModification(s, out.revision)) return undefined;
  return modified(null, out.revision, s);
}

function stepCas(s: KvState, expected: string | null, value: string, out: KvOutput | undefined): KvState | undefined {
  const succeeds = s.value === expected;
  if (out === undefined) return succeeds ? modified(value, undefined, s) : s;
  if (out.kind !== 'cas' || out.succeeded !== succeeds) return undefined;
  if (!succeeds) return out.revision === undefined || isCurrentHeader(s, out.revision) ? s : undefined;
  if (out.revision !== undefined && !isNextModification(s, out.revision)) return undefined;
  return modified(value, out.revision, s);
}

function stepTxn(s: KvState, modRevision: number, value: string | null, out: KvOutput | undefined): KvState | undefined {
  // An absent key's mod revision is 0; a present key's is its last modification's, which
  // is known exactly unless an unobserved write left it open (then any later one may match).
  const matches = modRevision === 0 ? s.value === null : s.value !== null && (s.exact ? s.rev === modRevision : modRevision > s.rev);
  const mayFail = modRevision === 0 ? s.value !== null : s.value === null || s.exact ? !matches : true;
  if (out === undefined) {
    if (!matches) return s;
    return value === null ? modified(null, undefined, s) : modified(value, undefined, s);
  }
  if (out.kind !== 'txn') return undefined;
  if (!out.succeeded) {
    if (!mayFail) return undefined;
    return out.revision === undefined || isCurrentHeader(s, out.revision) ? s : undefined;
  }
  if (!matches) return undefined;
  // Deleting a present key or writing one: a new revision.
  if (out.revision !== undefined && !isNextModification(s, out.revision)) return undefined;
  const pinned: KvState = s.exact ? s : { value: s.value, rev: modRevision, exact: true };
  return modified(value, out.revision, pinned);
}

function quote(v: string | null): string {
  return v === null ? 'absent' : JSON.stringify(v);
}

function describeInput(i: KvInput): string {
  switch (i.kind) {
    case 'put': return `put(${i.key}, ${quote(i.value)})`;
    case 'get': return `get(${i.key})`;
    case 'delete': return `delete(${i.key})`;
    case 'cas': return `cas(${i.key}, ${quote(i.expected)} -> ${quote(i.value)})`;
    case 'txn': return `txn(${i.key}, mod ${i.modRevision} -> ${i.value === null ? 'delete' : quote(i.value)})`;
  }
}

function describeOutput(o: KvOutput | undefined): string {
  if (o === undefined) return 'unknown';
  const rev = o.revision === undefined ? '' : ` @${o.revision}`;
  switch (o.kind) {
    case 'put': return `ok${rev}`;
    case 'get': return `${quote(o.value)}${o.modRevision === undefined ? '' : ` (mod ${o.modRevision})`}${rev}`;
    case 'delete': return `deleted ${o.deleted}${rev}`;
    case 'cas':
    case 'txn': return `${o.succeeded ? 'succeeded' : 'failed'}${rev}`;
  }
}

export interface KvModelOptions {
  /** Each key's state before the history; absent and never modified by default. */
  initial?: (key: string) => KvState;
}

export function kvModel(opts: KvModelOptions = {}): Model<KvState, KvInput, KvOutput> {
  const initial = opts.initial;
  return {
    partition: (input) => input.key,
    init: (key) => (initial === undefined ? { value: null, rev: 0, exact: true } : initial(key)),
    step(s, input, out) {
      switch (input.kind) {
        case 'put': return stepPut(s, input.value, out);
        case 'get': return stepGet(s, out);
        case 'delete': return stepDelete(s, out);
        case 'cas': return stepCas(s, input.expected, input.value, out);
        case 'txn': return stepTxn(s, input.modRevision, input.value, out);
      }
    },
    stateKey: (s) => `${s.value === null ? '-' : `+${s.value}`}\u0000${s.rev}${s.exact ? '' : '<'}`,
    readOnly: (input) => input.kind === 'get',
    describe: (op) => {
      const span = `[${op.call.toFixed(3)}, ${op.return === undefined ? '?' : op.return.toFixed(3)}]`;
      return `client ${op.clientId} ${describeInput(op.input)} -> ${describeOutput(op.output)} ${span}`;
    },
    describeState: (s) => `${quote(s.value)}, last modified ${s.exact ? 'at' : 'after'} revision ${s.rev}`,
  };
}
