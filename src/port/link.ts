// One side of the channel between the core thread and an edge thread: messages
// queued during an event-loop turn leave together, as one postMessage, after the
// turn's I/O callbacks have run. A postMessage costs microseconds of CPU on each
// side; carrying every request and reply of a turn in one keeps that cost per
// turn rather than per request.

/** What a worker's parentPort, a Worker and a MessagePort have in common. */
export interface MessageEndpoint {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: any) => void): unknown;
  off?(event: 'message', listener: (value: any) => void): unknown;
}

/** Upper bound on messages held for one flush; past it the batch leaves at once. */
const MAX_BATCH = 4096;

export class Link<Out, In> {
  private queue: Out[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly endpoint: MessageEndpoint,
    onBatch: (batch: In[]) => void,
  ) {
    endpoint.on('message', (batch: In[]) => {
      if (!this.closed) onBatch(batch);
    });
  }

  send(message: Out): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.queue.length >= MAX_BATCH) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Sends what is queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    const batch = this.queue;
    this.queue = [];
    this.endpoint.postMessage(batch);
  };

  close(): void {
    this.flush();
    this.closed = true;
  }
}
