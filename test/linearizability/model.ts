// A sequential specification the checker searches against: from a state, an
// operation with the output the client saw either is legal (giving the next state)
// or is not.
import type { Operation } from './history.js';

export interface Model<S, I, O> {
  /** Operations on different partitions commute, so each partition is checked alone (P-compositionality). */
  partition(input: I): string;
  /** The partition's state before the history. */
  init(partition: string): S;
  /**
   * The state after applying `input`, or undefined when `output` could not be its
   * result from `state`. With `output` undefined (outcome unknown) any result is
   * accepted and only the effect is applied.
   *
   * Returning the given state object itself declares the operation, with that output,
   * an observation: wherever else it is legal it at most narrows the state (never
   * changes what it allows), so the search places it without branching.
   */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** Equal keys exactly for interchangeable states: the search memoizes on it. */
  stateKey(state: S): string;
  /**
  /** True when the operation never changes the state: its unknown outcomes are dropped. */
  readOnly(input: I): boolean;
  describe(op: Operation<I, O>): string;
  describeState(state: S): string;
}
