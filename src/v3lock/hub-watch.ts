// One in-process watcher on the hub, read as a queue of responses; lock and
// election wait on it the way clientv3/concurrency waits on a client watch.
import { Errors } from '../rpctypes/errors.js';
import type { WatchCreate, WatchHub, WatchResult, WatchStream } from '../watch/index.js';

export class HubWatch {
  private readonly stream: WatchStream;
  private readonly queue: WatchResult[] = [];
  private waiter?: { resolve: (r: WatchResult) => void; reject: (e: unknown) => void };
  private failure?: unknown;
  private readonly onAbort = () => this.fail(this.signal?.reason ?? new Error('watch aborted'));

  constructor(
    hub: WatchHub,
    req: WatchCreate,
    private readonly signal?: AbortSignal,
  ) {
    this.stream = hub.openStream((r) => {
      if (r.created) return true;
      // A compacted start: clientv3 surfaces it as the compaction error.
      if (r.canceled) this.fail(r.compactRevision > 0 ? Errors.Compacted : new Error('watch canceled'));
      else this.push(r);
      return true;
    });
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    else this.stream.watch(req);
  }

  /** The next response carrying events or progress. */
  next(): Promise<WatchResult> {
    const r = this.queue.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stream.close();
  }

  private push(r: WatchResult): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(r);
    } else this.queue.push(r);
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
    this.stream.close();
  }
}
