// A manual clock for the compactor: time moves only when a test advances it, and every
// timer due on the way fires in order, each followed by a macrotask so that the
// compactor's own promise chain (compact, then schedule the next wait) settles.
import type { CompactorClock, CompactorTimer } from '../../src/server/compactor.js';
import type { Logger } from '../../src/pkg/logger.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

const settle = () => new Promise<void>((r) => setImmediate(r));

export class FakeClock implements CompactorClock {
  private t = 0;
  private seq = 0;
  private timers: Pending[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): CompactorTimer {
    const p: Pending = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(p);
    return { cancel: () => void (this.timers = this.timers.filter((x) => x !== p)) };
  }

  get pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    // Each wake-up schedules at most one next timer, so this bound is never reached by a correct compactor.
    for (let fired = 0; fired < 100_000; fired++) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), with: () => logger };
  return logger;
}
