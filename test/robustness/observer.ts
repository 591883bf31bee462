// One watch observer per member: watches the history's whole prefix with prev_kv
// from the history's start, and when its stream breaks (the member crashed,
// restarted, was replaced) opens a new one on the same member from the revision
// after the last it saw. Together the observers' streams are the revision log.
import { TrafficClient, type ActiveWatch, type Recorder } from './client.js';
import { prefixEnd } from './history.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Re-opened streams per observer per history, at most. */
const MAX_STREAMS = 200;

export class Observer {
  private readonly client: TrafficClient;
  private current?: ActiveWatch;
  private stopping = false;
  private loop?: Promise<void>;
  /** The last revision this observer's streams are complete up to. */
  observed: number;

  constructor(
    readonly endpoint: string,
    id: number,
    rec: Recorder,
    private readonly prefix: string,
    startRevision: number,
  ) {
    this.client = new TrafficClient(id, endpoint, rec, 5000);
    this.observed = startRevision;
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let n = 0; n < MAX_STREAMS && !this.stopping; n++) {
      const w = this.client.watch({ key: this.prefix, end: prefixEnd(this.prefix), startRevision: this.observed + 1, prevKv: true, progressNotify: true });
      this.current = w;
      while (!w.ended && !this.stopping) {
        await w.next(1000);
        this.observed = Math.max(this.observed, w.observedRevision);
      }
      this.observed = Math.max(this.observed, w.observedRevision);
      await w.stop();
      if (!this.stopping) await sleep(200);
    }
  }

  /** Asks for progress until the observer has seen `revision`; false if it could not within `timeoutMs`. */
  async catchUp(revision: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      const w = this.current;
      if (w && !w.ended) {
        this.observed = Math.max(this.observed, w.observedRevision);
        if (this.observed >= revision) return true;
        w.requestProgress();
        await w.next(300);
      } else await sleep(100);
    }
    return this.observed >= revision;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.current?.stop();
    await this.loop;
    this.client.close();
  }
}
