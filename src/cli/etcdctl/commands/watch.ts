// watch: one watch from the command line, or many from stdin with -i; an optional
// command after "--" runs per event with ETCD_WATCH_* in its environment.
import type { Client } from '../../../client/client.js';
import { WatchCanceledError, WatchCompactedError, Watcher, type WatchOptions, type WatchResponse } from '../../../client/watch.js';
import { CliExit, ExitCode } from '../exit.js';
import { argify } from '../argify.js';
import { runCommand } from '../exec.js';
import { parseFlags, UsageError, type FlagSpec } from '../flags.js';
import { goQuote } from '../format.js';
import { errorText, type Ctx } from '../context.js';

export const WATCH_FLAGS: FlagSpec[] = [
  { name: 'interactive', short: 'i', kind: 'bool', default: 'false' },
  { name: 'prefix', kind: 'bool', default: 'false' },
  { name: 'rev', kind: 'int', default: '0' },
  { name: 'prev-kv', kind: 'bool', default: 'false' },
];

const BAD_ARGS_NUM = 'bad number of arguments';
const BAD_ARGS_CONFLICT_ENV = 'bad number of arguments (found conflicting environment key)';
const BAD_ARGS_SEPARATOR = 'bad number of arguments (found separator --, but no commands)';

const dec = new TextDecoder();

export interface WatchFlags {
  prefix: boolean;
  rev: number;
  prevKv: boolean;
}

export interface WatchArgs {
  /** Key and optional range end (anything after them is ignored, as etcdctl does). */
  watchArgs: string[];
  execArgs: string[];
  /** An interactive line's own flags. */
  flags?: WatchFlags;
}

class WatchArgsError extends Error {}

function flagsOf(words: string[]): { args: string[]; flags: WatchFlags } {
  let p;
  try {
    p = parseFlags(words, WATCH_FLAGS);
  } catch (err) {
    if (err instanceof UsageError) throw new WatchArgsError(err.message);
    throw err;
  }
  return { args: p.args, flags: { prefix: p.values.get('prefix') === 'true', rev: Number(p.values.get('rev')), prevKv: p.values.get('prev-kv') === 'true' } };
}

/**
 * etcdctl's parseWatchArgs: the key (and range end) to watch and the command to
 * run, from the command line as typed (osArgs: it finds "--" there, which the
 * flag parser drops from commandArgs) or from one interactive line; keys from
 * ETCDCTL_WATCH_KEY/RANGE_END go first and conflict with keys given as arguments.
 */
export function parseWatchArgs(osArgs: string[], commandArgs: string[], envKey: string, envRange: string, interactive: boolean): WatchArgs {
  let rawArgs = [...osArgs];
  let watchArgs = [...commandArgs];
  const w = rawArgs.indexOf('watch');
  if (w >= 0) rawArgs = rawArgs.slice(w + 1);
  let flags: WatchFlags | undefined;
  if (interactive) {
    if (watchArgs[0] !== 'watch') throw new WatchArgsError("args[0] must be 'watch' for interactive calls");
    watchArgs = watchArgs.slice(1);
    const sep = watchArgs.indexOf('--');
    if (sep >= 0 && sep === watchArgs.length - 1) throw new WatchArgsError(BAD_ARGS_SEPARATOR);
    const pArgs = flagsOf(watchArgs).args;
    if (sep < 0 && envKey === '' && pArgs.length < 1) throw new WatchArgsError(BAD_ARGS_NUM);
    if (sep < 0 && pArgs.length > 0 && envKey !== '') throw new WatchArgsError(BAD_ARGS_CONFLICT_ENV);
  } else {
    const sep = rawArgs.indexOf('--');
    if (sep >= 0 && sep === rawArgs.length - 1) throw new WatchArgsError(BAD_ARGS_SEPARATOR);
    if (sep < 0 && rawArgs.length < 1 && envKey === '') throw new WatchArgsError(BAD_ARGS_NUM);
    if (sep >= 0 && envKey !== '') {
      // A key among the arguments before "--" conflicts with the one from the environment.
      let ridx = rawArgs.length - 1;
      for (let widx = watchArgs.length - 1; widx >= 0; widx--) {
        if (watchArgs[widx] === rawArgs[ridx]) {
          ridx--;
          continue;
        }
        if (ridx === sep) throw new WatchArgsError(BAD_ARGS_CONFLICT_ENV);
      }
    }
    if (sep < 0 && watchArgs.length > 0 && envKey !== '') throw new WatchArgsError(BAD_ARGS_CONFLICT_ENV);
  }
  const argsWithSep = interactive ? watchArgs : rawArgs;
  const idx = argsWithSep.indexOf('--');
  const execArgs = idx >= 0 ? argsWithSep.slice(idx + 1) : [];
  if (interactive) {
    const parsed = flagsOf(argsWithSep);
    watchArgs = parsed.args;
    flags = parsed.flags;
  }
  if (envKey !== '') watchArgs = [envKey, ...(envRange !== '' ? [envRange] : []), ...watchArgs];
  if (idx < 0) return { watchArgs, execArgs, flags };
  // The flag parser left the command's words among the arguments: cut them off.
  const endIdx = watchArgs.lastIndexOf(argsWithSep[idx + 1]!);
  return { watchArgs: watchArgs.slice(0, Math.max(0, endIdx)), execArgs, flags };
}

/** etcdctl's getWatchChan: the watch the arguments name. */
function watchOptions(args: string[], flags: WatchFlags): { key: string; opts: WatchOptions } {
  if (args.length < 1) throw new WatchArgsError(BAD_ARGS_NUM);
  const opts: WatchOptions = { prefix: flags.prefix, prevKv: flags.prevKv };
  if (args.length === 2) {
    if (flags.prefix) throw new WatchArgsError('`range_end` and `--prefix` are mutually exclusive');
    opts.rangeEnd = args[1];
  }
  if (flags.rev !== 0) opts.startRevision = flags.rev;
  return { key: args[0]!, opts };
}

const BLANK: WatchResponse = { header: { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 }, watchId: 0, created: false, canceled: true, compactRevision: 0, cancelReason: '', fragment: false, events: [] };

/**
 * What clientv3 makes of a watch that ended: the error text printed and the
 * response etcdctl displays. A compaction and a cancel after creation go through
 * WatchResponse.Err() with the member's response; a creation refused with a
 * reason (permission denied) or a failed stream close the watch with the error as
 * it is and a blank response (zero header, no events slice).
 */
function canceled(err: unknown): { text: string; response: WatchResponse; closed: boolean } {
  if (err instanceof WatchCompactedError) return { text: 'etcdserver: mvcc: required revision has been compacted', response: err.response ?? BLANK, closed: false };
  if (err instanceof WatchCanceledError) {
    const r = err.response;
    const refused = r === undefined || (r.created && (r.watchId === -1 || err.reason !== ''));
    if (refused) return { text: err.reason, response: BLANK, closed: true };
    if (err.reason === '') return { text: 'etcdserver: mvcc: required revision is a future revision', response: r, closed: false };
    return { text: err.reason.startsWith('etcdserver: ') ? err.reason : `rpc error: code = FailedPrecondition desc = ${err.reason}`, response: r, closed: false };
  }
  return { text: errorText(err), response: BLANK, closed: true };
}

/** etcdctl's printWatchCh: each response printed, then the command run once per event. */
async function printWatch(c: Ctx, cli: Client, key: string, opts: WatchOptions, execArgs: string[], watchers?: Watcher[]): Promise<void> {
  const watcher = cli.watch(key, opts);
  watchers?.push(watcher);
  const show = async (r: WatchResponse) => {
    if (Watcher.isProgressNotify(r)) c.io.out(`progress notify: ${r.header!.revision}\n`);
    c.display.watch(r);
    for (const ev of r.events) {
      if (execArgs.length === 0) break;
      const env = {
        ...c.env,
        ETCD_WATCH_REVISION: String(r.header?.revision ?? 0),
        ETCD_WATCH_EVENT_TYPE: goQuote(ev.type === 1 ? 'DELETE' : 'PUT'),
        ETCD_WATCH_KEY: goQuote(dec.decode(ev.kv.key)),
        ETCD_WATCH_VALUE: goQuote(dec.decode(ev.kv.value)),
      };
      const failed = await runCommand(execArgs, env);
      if (failed !== undefined) {
        c.io.err(`command [${execArgs.map((a) => goQuote(a)).join(' ')}] error (${failed})\n`);
        throw new CliExit(ExitCode.Error, '');
      }
    }
  };
  try {
    for await (const r of watcher) await show(r);
  } catch (err) {
    if (err instanceof CliExit) throw err;
    const { text, response, closed } = canceled(err);
    c.io.err(`watch was canceled (${text})\n`);
    // The canceled response itself is printed too (json and fields show it).
    c.display.watch(response, closed);
  }
}

export async function watch(c: Ctx): Promise<void> {
  const envKey = c.env.ETCDCTL_WATCH_KEY ?? '';
  const envRange = c.env.ETCDCTL_WATCH_RANGE_END ?? '';
  if (envKey === '' && envRange !== '') throw new CliExit(ExitCode.BadArgs, `ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${goQuote(envRange)}`);
  if (c.bool('interactive')) return interactive(c, envKey, envRange);
  let key: string;
  let opts: WatchOptions;
  let execArgs: string[];
  try {
    const parsed = parseWatchArgs(c.argv, c.args, envKey, envRange, false);
    execArgs = parsed.execArgs;
    ({ key, opts } = watchOptions(parsed.watchArgs, { prefix: c.bool('prefix'), rev: c.int('rev'), prevKv: c.bool('prev-kv') }));
  } catch (err) {
    if (err instanceof WatchArgsError) throw new CliExit(ExitCode.BadArgs, err.message);
    throw err;
  }
  const cli = await c.client();
  await printWatch(c, cli, key, opts, execArgs);
  throw new CliExit(ExitCode.Interrupted, 'watch is canceled by the server');
}

async function interactive(c: Ctx, envKey: string, envRange: string): Promise<void> {
  const cli = await c.client();
  const watchers: Watcher[] = [];
  // Each watch prints on its own, as etcdctl's goroutine per watch; a failed command ends the process.
  let fatal!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  failed.catch(() => {});
  const lines = c.io.stdinLines()[Symbol.asyncIterator]();
  for (;;) {
    const next = await Promise.race([lines.next(), failed]);
    if (next.done) break;
    const raw = next.value;
    const words = argify(raw);
    if (words.length < 1) {
      c.io.err(`Invalid command: ${raw} (watch and progress supported)\n`);
      continue;
    }
    if (words[0] === 'progress') {
      for (const w of watchers) w.requestProgress();
      continue;
    }
    if (words[0] !== 'watch') {
      c.io.err(`Invalid command ${raw} (only support watch)\n`);
      continue;
    }
    if (words.length < 2 && envKey === '') {
      c.io.err(`Invalid command ${raw} (command type or key is not provided)\n`);
      continue;
    }
    let parsed: WatchArgs;
    try {
      parsed = parseWatchArgs(c.argv, words, envKey, envRange, true);
    } catch (err) {
      if (err instanceof WatchArgsError) throw new CliExit(ExitCode.BadArgs, err.message);
      throw err;
    }
    let w: { key: string; opts: WatchOptions };
    try {
      w = watchOptions(parsed.watchArgs, parsed.flags!);
    } catch (err) {
      if (!(err instanceof WatchArgsError)) throw err;
      c.io.err(`Invalid command ${raw} (${err.message})\n`);
      continue;
    }
    printWatch(c, cli, w.key, w.opts, parsed.execArgs, watchers).catch(fatal);
  }
  throw new CliExit(ExitCode.InvalidInput, 'Error reading watch request line: EOF');
}
