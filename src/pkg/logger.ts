// Structured logs in the shape of etcd's zap logger: JSON ({"level","ts","caller","msg",…}),
// or with --log-format=console zap's console lines (ts, level, msg and the fields as JSON,
// tab-separated), because operators' scripts and test harnesses wait for etcd's exact
// milestone messages.
import { createWriteStream, type WriteStream } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, panic: 4, fatal: 5 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
}

type Sink = (line: string) => void;

function sinkFor(output: string): Sink {
  if (output === 'stderr' || output === 'default') return (l) => process.stderr.write(l);
  if (output === 'stdout') return (l) => process.stdout.write(l);
  const stream: WriteStream = createWriteStream(output, { flags: 'a' });
  return (l) => stream.write(l);
}

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString(16);
  if (v instanceof Error) return v.message;
  return v;
}

export type LogFormat = 'json' | 'console';

/** etcd's log timestamp: UTC with microseconds, as its zap encoder writes it (2006-01-02T15:04:05.000000Z). */
export function logTimestamp(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** One line in zap's console encoding: tab-separated ts, level, msg, then the fields as one JSON object. */
export function consoleLine(level: LogLevel, ts: string, msg: string, fields: Record<string, unknown>): string {
  const parts = [ts, level, msg];
  if (Object.keys(fields).length > 0) parts.push(JSON.stringify(fields, replacer));
  return parts.join('\t') + '\n';
}

export function createLogger(opts: { level?: LogLevel; outputs?: string[]; base?: Record<string, unknown>; format?: LogFormat } = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const sinks = (opts.outputs && opts.outputs.length ? opts.outputs : ['stderr']).map(sinkFor);
  const consoleFormat = opts.format === 'console';
  const make = (base: Record<string, unknown>): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
      if (RANK[level] < min) return;
      const now = new Date();
      const line = consoleFormat
        ? consoleLine(level, logTimestamp(now), msg, { ...base, ...fields })
        : JSON.stringify({ level, ts: now.toISOString(), msg, ...base, ...fields }, replacer) + '\n';
      for (const s of sinks) s(line);
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      with: (f) => make({ ...base, ...f }),
    };
  };
  return make(opts.base ?? {});
}

/** A logger that drops everything: for embedded members and tests that don't want output. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return silentLogger;
  },
};
