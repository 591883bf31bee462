// A concurrent history as clients observed it: each operation spans the interval
// from its call to its return on one monotonic clock.

export interface Operation<I, O> {
  clientId: number;
  /** When the client issued the request. */
  call: number;
  /**
   * When the client saw the response. Absent when the client never learned the
   * outcome (deadline, lost connection): the operation may have taken effect at any
   * point after its call, or never.
   */
  return?: number;
  input: I;
  /** Absent exactly when `return` is absent. */
  output?: O;
}

export function isCompleted<I, O>(op: Operation<I, O>): boolean {
  return op.return !== undefined;
}
