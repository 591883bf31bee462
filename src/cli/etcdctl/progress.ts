// The progress line etcdctl's check commands draw (cheggaaa/pb v1 without a
// terminal): "\r <n> / <total> <percent>%[ <time>]", redrawn every 200 ms.

/** Go's time.Duration.String for a whole number of seconds. */
export function goSeconds(total: number): string {
  const s = Math.max(0, Math.floor(total));
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

export class CounterBar {
  private current = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly total: number,
    private readonly out: (s: string) => void,
  ) {}

  start(): void {
    this.draw(false);
    this.timer = setInterval(() => this.draw(false), 200);
  }

  increment(): void {
    this.current++;
  }

  finish(): void {
    clearInterval(this.timer);
    this.draw(true);
    this.out('\n');
  }

  private draw(finished: boolean): void {
    const pct = this.total > 0 ? (this.current / this.total) * 100 : 0;
    let line = `\r ${this.current} / ${this.total}  ${pct.toFixed(2).padStart(6)}%`;
    const elapsed = (Date.now() - this.started) / 1000;
    if (this.current > 0) {
      if (finished) line += ` ${goSeconds(elapsed)}`;
      else {
        const left = Math.floor((elapsed / this.current) * (this.total - this.current));
        if (left > 0) line += ` ${goSeconds(left)}`;
      }
    }
    this.out(line);
  }
}
