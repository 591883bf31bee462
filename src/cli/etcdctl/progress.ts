// The progress bar etcdctl's check commands draw (cheggaaa/pb v1 with etcdctl's
// "Bom !" format): "\r <n> / <total> [B…m   !] <percent>%[ <time left>]", redrawn
// every 200 ms. The bar and the padding to the line's end are drawn only as wide
// as the controlling terminal (pb asks /dev/tty, even when stdout is redirected);
// without one the line has no bar. Finished, it shows the whole run's time.
import { openSync } from 'node:fs';
import { WriteStream } from 'node:tty';
import { goFixed } from './format.js';

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

/** pb's U_DURATION format of a time left: [<d>d][<h>h]<mm>m<ss>s. */
export function pbDuration(ms: number): string {
  let d = Math.floor(ms / 1000);
  let out = '';
  const DAY = 86_400;
  const HOUR = 3600;
  if (d > DAY) {
    out += `${Math.floor(d / DAY)}d`;
    d %= DAY;
  }
  if (d > HOUR) {
    out += `${Math.floor(d / HOUR)}h`;
    d %= HOUR;
  }
  const m = Math.floor(d / 60);
  const s = d % 60;
  return `${out}${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

/** The columns of the controlling terminal, or 0 when there is none. */
export function terminalColumns(): number {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return 0;
  }
  const tty = new WriteStream(fd);
  const columns = tty.columns ?? 0;
  tty.destroy();
  return columns;
}

/** etcdctl's bar.Format("Bom !"): start, current, current's head, empty, end. */
const BAR = { start: 'B', current: 'o', head: 'm', empty: ' ', end: '!' };

export interface ProgressBarOptions {
  /** The terminal's width at each redraw (pb asks every time). */
  width?: () => number;
  clock?: () => number;
}

export class ProgressBar {
  private current = 0;
  private previous = 0;
  private readonly started: number;
  private changed: number;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly width: () => number;
  private readonly clock: () => number;

  constructor(
    private readonly total: number,
    private readonly out: (s: string) => void,
    opts: ProgressBarOptions = {},
  ) {
    this.width = opts.width ?? terminalColumns;
    this.clock = opts.clock ?? Date.now;
    this.started = this.clock();
    this.changed = this.started;
  }

  start(): void {
    this.update();
    this.timer = setInterval(() => this.update(), 200);
  }

  increment(): void {
    this.current++;
  }

  finish(): void {
    if (this.finished) return;
    clearInterval(this.timer);
    this.finished = true;
    this.draw();
    this.out('\n');
  }

  /** pb's Update: notes when the count last changed, then redraws. */
  update(): void {
    if (this.current !== this.previous) {
      this.changed = this.clock();
      this.previous = this.current;
    }
    this.draw();
  }

  /** The line pb writes at `width` columns: counters, bar, percent, time. */
  line(width: number): string {
    const now = this.clock();
    const { total, current } = this;
    const percentBox = ` ${goFixed(total > 0 ? (current / total) * 100 : current / 100, 2).padStart(6)}%`;
    const countersBox = ` ${current} / ${total} `;
    let timeBox = '';
    if (this.finished) timeBox = ` ${goSeconds((now - this.started) / 1000)}`;
    else if (current > 0) {
      const perEntry = (this.changed - this.started) / current;
      const left = Math.floor(((total - current) * perEntry - (now - this.changed)) / 1000) * 1000;
      if (left > 0) timeBox = ` ${pbDuration(left)}`;
    }
    const fixed = [...(countersBox + BAR.start + BAR.end + percentBox + timeBox)].length;
    let barBox = '';
    const size = width - fixed;
    if (size > 0) {
      const curSize = Math.min(size, Math.ceil((current / total) * size));
      const emptySize = Math.max(0, size - curSize);
      barBox = BAR.start;
      if (emptySize <= 0) barBox += BAR.current.repeat(curSize);
      else if (curSize > 0) barBox += BAR.current.repeat(curSize - 1) + BAR.head;
      barBox += BAR.empty.repeat(emptySize) + BAR.end;
    }
    const line = countersBox + barBox + percentBox + timeBox;
    const length = [...line].length;
    return line + (length < width ? ' '.repeat(width - length) : '');
  }

  private draw(): void {
    this.out('\r' + this.line(this.width()));
  }
}
