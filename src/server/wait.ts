// Pending proposals keyed by request ID: the proposer waits, the applier triggers.
// Every waiter ends — with the apply result, an error, or the request timeout — so
// no client call can hang forever.
import { EtcdError, Errors } from '../rpctypes/errors.js';

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

export class Wait {
  private waiters = new Map<bigint, Waiter>();

  register<T>(id: bigint, timeoutMs: number, onTimeout: EtcdError = Errors.Timeout): Promise<T> {
    if (this.waiters.has(id)) throw new Error(`duplicate request id ${id.toString(16)}`);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(onTimeout);
      }, timeoutMs);
      timer.unref?.();
      this.waiters.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  isRegistered(id: bigint): boolean {
    return this.waiters.has(id);
  }

  trigger(id: bigint, result: unknown): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.resolve(result);
  }

  fail(id: bigint, err: unknown): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.reject(err);
  }

  failAll(err: unknown): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, err);
  }

  get size(): number {
    return this.waiters.size;
  }
}
