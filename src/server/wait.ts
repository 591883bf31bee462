// Pending proposals keyed by request ID: the proposer waits, the applier triggers.
// Every waiter ends — with the apply result, an error, or its timeout — so no client
// call can hang forever. One sweeping timer serves all waiters rather than a timer
// per request: registration is on the hot path of every write.
import { EtcdError, Errors } from '../rpctypes/errors.js';

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  deadline: number;
  onTimeout: EtcdError;
}

const SWEEP_MS = 100;

export class Wait {
  /** Insertion order is deadline order for a fixed timeout; sweeps stop at the first live one. */
  private waiters = new Map<bigint, Waiter>();
  private sweeper?: NodeJS.Timeout;

  register<T>(id: bigint, timeoutMs: number, onTimeout: EtcdError = Errors.Timeout): Promise<T> {
    if (this.waiters.has(id)) throw new Error(`duplicate request id ${id.toString(16)}`);
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { resolve: resolve as (v: unknown) => void, reject, deadline: Date.now() + timeoutMs, onTimeout });
      if (!this.sweeper) {
        this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
        this.sweeper.unref?.();
      }
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, w] of this.waiters) {
      if (w.deadline > now) break;
      this.waiters.delete(id);
      w.reject(w.onTimeout);
    }
    if (this.waiters.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  isRegistered(id: bigint): boolean {
    return this.waiters.has(id);
  }

  trigger(id: bigint, result: unknown): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    w.resolve(result);
  }

  fail(id: bigint, err: unknown): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    w.reject(err);
  }

  failAll(err: unknown): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
  }

  get size(): number {
    return this.waiters.size;
  }
}
