// Auto-compaction (--auto-compaction-mode / --auto-compaction-retention) with etcd 3.4's
// rules. The clock is injected so the schedule can be checked without waiting hours.
//
//  - periodic: sample the revision every retention/10 (retention capped at 1h for the
//    interval), keep the samples covering one retention, and once a retention has passed
//    since the start (then every min(retention, 1h)) compact to the oldest sample.
//  - revision: every 5 minutes compact to current revision − retention, if that moved.
//
// Only the leader's compactor acts: the server pauses it on followers. Paused, a periodic
// compactor keeps sampling so that it resumes with a full window, as etcd's does.
import type { Logger } from '../pkg/logger.js';
import { Errors } from '../rpctypes/errors.js';

export type AutoCompactionMode = 'periodic' | 'revision';

export interface CompactorTimer {
  cancel(): void;
}

export interface CompactorClock {
  /** Milliseconds on any fixed origin. */
  now(): number;
  /** Calls fn once, ms from now. */
  after(ms: number, fn: () => void): CompactorTimer;
}

export const realClock: CompactorClock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface CompactorDeps {
  logger: Logger;
  clock?: CompactorClock;
  /** The store's current revision. */
  rev(): number;
  /** Compacts through the log (physical=false); rejects with etcd's errors. */
  compact(revision: number): Promise<void>;
}

export interface Compactor {
  run(): void;
  stop(): void;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

const HOUR_MS = 3_600_000;
/** etcd's revInterval: how often revision mode looks at the store. */
export const REVISION_INTERVAL_MS = 5 * 60_000;
const RETRY_DIVISOR = 10;

/** Go's time.Duration String() for a duration in milliseconds (zap writes durations this way in etcd). */
export function goDurationString(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  const trim = (v: number, digits: number) => v.toFixed(digits).replace(/\.?0+$/, '');
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${trim(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${sign}${trim(ns / 1e6, 6)}ms`;
  const h = Math.floor(ns / 3.6e12);
  ns -= h * 3.6e12;
  const m = Math.floor(ns / 6e10);
  ns -= m * 6e10;
  let out = sign;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${trim(ns / 1e9, 9)}s`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A compaction below the current compact revision already happened: etcd counts it as done. */
function alreadyCompacted(err: unknown): boolean {
  return err === Errors.Compacted || (err instanceof Error && err.message === Errors.Compacted.message);
}

abstract class LoopCompactor implements Compactor {
  protected readonly clock: CompactorClock;
  private timer?: CompactorTimer;
  private stopped = false;
  private running = false;
  paused = false;

  constructor(protected readonly deps: CompactorDeps) {
    this.clock = deps.clock ?? realClock;
  }

  run(): void {
    assertState(!this.running, 'compactor already running');
    this.running = true;
    this.begin();
    this.next();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  protected abstract begin(): void;
  /** Called before each wait (periodic mode samples here). */
  protected abstract beforeWait(): void;
  protected abstract waitMs(): number;
  /** One wake-up while not paused; resolves when its compaction (if any) is over. */
  protected abstract tick(): Promise<void>;

  private next(): void {
    if (this.stopped) return;
    this.beforeWait();
    this.timer = this.clock.after(this.waitMs(), () => {
      this.timer = undefined;
      if (this.stopped) return;
      if (this.paused) return this.next();
      this.tick().then(
        () => this.next(),
        (err: unknown) => {
          this.deps.logger.error('auto-compaction loop failed', { error: errorText(err) });
          this.next();
        },
      );
    });
  }
}

function assertState(ok: boolean, what: string): void {
  if (!ok) throw new Error(`compactor: ${what}`);
}

export interface PeriodicOptions {
  /** Retention in milliseconds (> 0). */
  retentionMs: number;
  /** Tests only: replaces the sampling interval (etcd: min(retention, 1h) / 10). */
  intervalMs?: number;
}

export class PeriodicCompactor extends LoopCompactor {
  readonly retentionMs: number;
  /** Time between samples, and between retries after a failed compaction. */
  readonly retryIntervalMs: number;
  /** Time between compactions once the first one happened. */
  readonly compactIntervalMs: number;
  /** Samples kept: the oldest is the revision one retention ago. */
  readonly retentions: number;
  private revs: number[] = [];
  private lastSuccess = 0;
  private baseInterval = 0;

  constructor(deps: CompactorDeps, opts: PeriodicOptions) {
    super(deps);
    assertState(opts.retentionMs > 0, `periodic retention must be positive (got ${opts.retentionMs}ms)`);
    this.retentionMs = opts.retentionMs;
    this.compactIntervalMs = Math.min(opts.retentionMs, HOUR_MS);
    this.retryIntervalMs = opts.intervalMs ?? this.compactIntervalMs / RETRY_DIVISOR;
    assertState(this.retryIntervalMs > 0, 'periodic interval must be positive');
    this.retentions = Math.floor(this.retentionMs / this.retryIntervalMs) + 1;
  }

  /** The samples currently held, oldest first. */
  get window(): readonly number[] {
    return this.revs;
  }

  protected begin(): void {
    this.lastSuccess = this.clock.now();
    // The first compaction waits for a whole retention; later ones come every compactInterval.
    this.baseInterval = this.retentionMs;
  }

  protected beforeWait(): void {
    this.revs.push(this.deps.rev());
    if (this.revs.length > this.retentions) this.revs.shift();
  }

  protected waitMs(): number {
    return this.retryIntervalMs;
  }

  protected async tick(): Promise<void> {
    if (this.clock.now() - this.lastSuccess < this.baseInterval) return;
    this.baseInterval = this.compactIntervalMs;
    const rev = this.revs[0];
    assertState(rev !== undefined, 'periodic window is empty');
    const { logger } = this.deps;
    const period = goDurationString(this.retentionMs);
    logger.info('starting auto periodic compaction', { revision: rev, 'compact-period': period });
    try {
      await this.deps.compact(rev);
    } catch (err) {
      if (!alreadyCompacted(err)) {
        logger.warn('failed auto periodic compaction', {
          revision: rev,
          'compact-period': period,
          'retry-interval': goDurationString(this.retryIntervalMs),
          error: errorText(err),
        });
        return;
      }
    }
    const now = this.clock.now();
    // etcd reports the time since the previous success here, not the compaction's own duration.
    logger.info('completed auto periodic compaction', { revision: rev, 'compact-period': period, took: goDurationString(now - this.lastSuccess) });
    this.lastSuccess = now;
  }
}

export interface RevisionOptions {
  /** Revisions to keep (> 0). */
  retention: number;
  /** Tests only: replaces etcd's 5-minute interval. */
  intervalMs?: number;
}

export class RevisionCompactor extends LoopCompactor {
  readonly retention: number;
  readonly intervalMs: number;
  /** Last revision compacted to (0: none yet). */
  private prev = 0;

  constructor(deps: CompactorDeps, opts: RevisionOptions) {
    super(deps);
    assertState(opts.retention > 0, `revision retention must be positive (got ${opts.retention})`);
    this.retention = opts.retention;
    this.intervalMs = opts.intervalMs ?? REVISION_INTERVAL_MS;
    assertState(this.intervalMs > 0, 'revision interval must be positive');
  }

  protected begin(): void {}
  protected beforeWait(): void {}

  protected waitMs(): number {
    return this.intervalMs;
  }

  protected async tick(): Promise<void> {
    const rev = this.deps.rev() - this.retention;
    if (rev <= 0 || rev === this.prev) return;
    const { logger } = this.deps;
    const started = this.clock.now();
    logger.info('starting auto revision compaction', { revision: rev, 'revision-compaction-retention': this.retention });
    try {
      await this.deps.compact(rev);
    } catch (err) {
      if (!alreadyCompacted(err)) {
        logger.warn('failed auto revision compaction', {
          revision: rev,
          'revision-compaction-retention': this.retention,
          'retry-interval': goDurationString(this.intervalMs),
          error: errorText(err),
        });
        return;
      }
    }
    this.prev = rev;
    logger.info('completed auto revision compaction', { revision: rev, 'revision-compaction-retention': this.retention, took: goDurationString(this.clock.now() - started) });
  }
}

export interface AutoCompactionOptions {
  mode: AutoCompactionMode;
  /** Parsed --auto-compaction-retention: milliseconds (periodic) or a revision count (revision). */
  retention: number;
  /** Tests only: replaces the sampling/check interval. */
  intervalMs?: number;
}

/** The compactor for a member's options; undefined when auto-compaction is off (retention 0). */
export function newCompactor(opts: AutoCompactionOptions, deps: CompactorDeps): Compactor | undefined {
  if (opts.retention === 0) return undefined;
  if (opts.retention < 0) {
    // etcd 3.4 accepts a negative duration and then compacts in a tight loop; etcd-ts declines.
    deps.logger.warn('negative auto-compaction-retention; auto-compaction is off', { 'auto-compaction-mode': opts.mode, 'auto-compaction-retention': opts.mode === 'periodic' ? goDurationString(opts.retention) : opts.retention });
    return undefined;
  }
  if (opts.mode === 'revision') return new RevisionCompactor(deps, { retention: opts.retention, intervalMs: opts.intervalMs });
  return new PeriodicCompactor(deps, { retentionMs: opts.retention, intervalMs: opts.intervalMs });
}
