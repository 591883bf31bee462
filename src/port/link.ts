// One side of the channel between the core thread and an edge thread: what is
// queued during an event-loop turn leaves together, as one postMessage, after the
// turn's I/O callbacks have run. A postMessage costs microseconds of CPU on each
// side; carrying every request and reply of a turn in one keeps that cost per
// turn rather than per request. The hot calls travel packed (packed.ts) in a
// buffer that is moved, not copied; the rest as structured-clone messages.
import { PackedWriter } from './packed.js';

/** What a worker's parentPort, a Worker and a MessagePort have in common. */
export interface MessageEndpoint {
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (value: any) => void): unknown;
}

interface Batch<T> {
  m: T[];
  p?: ArrayBuffer;
}

/** Upper bound on messages or packed bytes held for one flush; past it the batch leaves at once. */
const MAX_BATCH = 4096;
const MAX_PACKED_BYTES = 1 << 20;

export class Link<Out, In> {
  /** Packed records for the next batch: write to it, then call packedWritten(). */
  readonly packed = new PackedWriter();
  private queue: Out[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly endpoint: MessageEndpoint,
    onBatch: (messages: In[], packed: ArrayBuffer | undefined) => void,
  ) {
    endpoint.on('message', (batch: Batch<In>) => {
      if (!this.closed) onBatch(batch.m, batch.p);
    });
  }

  send(message: Out): void {
    if (this.closed) return;
    this.queue.push(message);
    this.schedule(this.queue.length >= MAX_BATCH);
  }

  /** Records were added to `packed`. */
  packedWritten(): void {
    if (!this.closed) this.schedule(this.packed.length >= MAX_PACKED_BYTES);
  }

  private schedule(now: boolean): void {
    if (now) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Sends what is queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed || (this.queue.length === 0 && this.packed.length === 0)) return;
    const batch: Batch<Out> = { m: this.queue };
    this.queue = [];
    if (this.packed.length > 0) {
      batch.p = this.packed.take();
      this.endpoint.postMessage(batch, [batch.p]);
    } else {
      this.endpoint.postMessage(batch);
    }
  };

  close(): void {
    this.flush();
    this.closed = true;
  }
}
