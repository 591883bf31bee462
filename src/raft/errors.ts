// Errors the Raft core raises. Storage errors are distinct classes so that the log
// can tell "compacted away" (send a snapshot) from "not yet written" (a bug).

export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

export class CompactedError extends Error {
  constructor() {
    super('requested index is unavailable due to compaction');
    this.name = 'CompactedError';
  }
}

export class UnavailableError extends Error {
  constructor() {
    super('requested entry at index is unavailable');
    this.name = 'UnavailableError';
  }
}

export class SnapOutOfDateError extends Error {
  constructor() {
    super('requested index is older than the existing snapshot');
    this.name = 'SnapOutOfDateError';
  }
}

export class StepLocalMessageError extends Error {
  constructor() {
    super('raft: cannot step raft local message');
    this.name = 'StepLocalMessageError';
  }
}

// etcd's names, as classes: test with `e instanceof ErrCompacted` (each throw is a
// fresh instance so its stack points at the caller).
export { CompactedError as ErrCompacted, UnavailableError as ErrUnavailable, SnapOutOfDateError as ErrSnapOutOfDate };

export function invariant(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`raft invariant violated: ${what}`);
}
