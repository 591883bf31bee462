// The safety properties of Raft, checked as the simulation runs:
//  - election safety: at most one leader per term;
//  - log matching: an (index, term) pair always names the same entry with the same predecessor term
//    (by induction, logs that agree on an entry agree on everything before it);
//  - leader completeness: a new leader's log holds every entry already applied anywhere;
//  - state-machine safety: every member applies the same entry at each index (one history),
//    and snapshots carry the state of that history's prefix;
//  - ReadIndex linearizability: a read's index covers every entry applied before the read began.

import type { Entry, NodeId } from '../../../src/raft/index.js';

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

export function entryKey(e: Entry): string {
  return `${e.type}:${Buffer.from(e.data).toString('hex')}`;
}

/** FNV-1a over the previous hash and the entry's key: the state machine's fingerprint. */
export function chainHash(prev: number, key: string): number {
  let h = prev ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Checker {
  private leaders = new Map<number, NodeId>();
  private entries = new Map<string, string>();
  /** history[i]: the entry applied at index i (term:key); hashes[i]: state after applying it. */
  readonly history: string[] = [];
  readonly historyTerms: number[] = [];
  readonly hashes: number[] = [];
  /** The first index the history starts at (the bootstrap snapshot's successor). */
  constructor(readonly base: number) {}

  fail(msg: string): never {
    throw new SafetyViolation(msg);
  }

  leaderTerms(): number {
    return this.leaders.size;
  }

  onLeader(id: NodeId, term: number): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) this.fail(`two leaders in term ${term}: ${prev} and ${id}`);
    this.leaders.set(term, id);
  }

  onPersist(e: Entry, prevTerm: number | undefined): void {
    const k = `${e.index}/${e.term}`;
    const v = `${prevTerm ?? '?'}/${entryKey(e)}`;
    const seen = this.entries.get(k);
    if (seen === undefined) {
      this.entries.set(k, v);
      return;
    }
    if (seen === v) return;
    const [sp, sk] = [seen.slice(0, seen.indexOf('/')), seen.slice(seen.indexOf('/') + 1)];
    const [vp, vk] = [v.slice(0, v.indexOf('/')), v.slice(v.indexOf('/') + 1)];
    if (sk !== vk) this.fail(`log matching: entry ${k} differs between logs (${sk} vs ${vk})`);
    if (sp !== '?' && vp !== '?' && sp !== vp) this.fail(`log matching: entry ${k} has predecessors of terms ${sp} and ${vp}`);
    if (sp === '?' && vp !== '?') this.entries.set(k, v);
  }

  lastApplied(): number {
    return this.base - 1 + this.history.length;
  }

  /** Records (or checks) the entry at e.index; returns the state hash after it. */
  onApply(member: NodeId, e: Entry, prevHash: number): number {
    const i = e.index - this.base;
    const key = `${e.term}:${entryKey(e)}`;
    if (i < this.history.length) {
      if (this.history[i] !== key) this.fail(`state machine safety: member ${member} applied ${key} at ${e.index}, others applied ${this.history[i]}`);
      const h = this.hashes[i]!;
      if (chainHash(prevHash, entryKey(e)) !== h) this.fail(`state machine safety: member ${member} diverged before index ${e.index}`);
      return h;
    }
    if (i !== this.history.length) this.fail(`member ${member} applied ${e.index} with history only up to ${this.lastApplied()}`);
    const h = chainHash(prevHash, entryKey(e));
    if (i > 0 && prevHash !== this.hashes[i - 1]) this.fail(`state machine safety: member ${member} state before ${e.index} is not the history's`);
    this.history.push(key);
    this.historyTerms.push(e.term);
    this.hashes.push(h);
    return h;
  }

  /** A snapshot at `index` must carry the history's state at that index. */
  checkSnapshot(member: NodeId, index: number, term: number, hash: number): void {
    if (index < this.base) return;
    const i = index - this.base;
    if (i >= this.history.length) this.fail(`member ${member} got snapshot at ${index} beyond anything applied (${this.lastApplied()})`);
    if (this.historyTerms[i] !== term) this.fail(`snapshot at ${index} has term ${term}, history says ${this.historyTerms[i]}`);
    if (this.hashes[i] !== hash) this.fail(`snapshot at ${index} on member ${member} doesn't match the history's state`);
  }

  /** `termAt` reads the new leader's durable log (throws below its first index). */
  checkLeaderCompleteness(id: NodeId, term: number, firstIndex: number, lastIndex: number, termAt: (i: number) => number): void {
    const last = this.lastApplied();
    if (lastIndex < last) this.fail(`leader completeness: leader ${id} of term ${term} has lastIndex ${lastIndex} < applied ${last}`);
    for (let i = Math.max(firstIndex, this.base); i <= last; i++) {
      const t = termAt(i);
      if (t !== this.historyTerms[i - this.base]) this.fail(`leader completeness: leader ${id} of term ${term} has term ${t} at ${i}, committed ${this.historyTerms[i - this.base]}`);
    }
  }

  checkRead(member: NodeId, readIndex: number, appliedWhenIssued: number): void {
    if (readIndex < appliedWhenIssued) this.fail(`ReadIndex on ${member} returned ${readIndex}, but ${appliedWhenIssued} was applied before the read began`);
  }
}
