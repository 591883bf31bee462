// watch: one watch from the command line, or many from stdin with -i; an optional
// command after "--" runs per event with ETCD_WATCH_* in its environment.
import { spawnSync } from 'node:child_process';
import type { Client } from '../../../client/client.js';
import { WatchCompactedError, Watcher, type WatchOptions } from '../../../client/watch.js';
import { CliExit, ExitCode } from '../exit.js';
import { argify } from '../argify.js';
import { parseFlags } from '../flags.js';
import { goQuote } from '../format.js';
import { errorText, type Ctx } from '../context.js';

export const WATCH_FLAGS = [
  { name: 'interactive', short: 'i', kind: 'bool' as const, default: 'false' },
  { name: 'prefix', kind: 'bool' as const, default: 'false' },
  { name: 'rev', kind: 'int' as const, default: '0' },
  { name: 'prev-kv', kind: 'bool' as const, default: 'false' },
];

const dec = new TextDecoder();

interface WatchArgs {
  key: string;
  opts: WatchOptions;
  exec: string[];
}

function watchArgs(args: string[], exec: string[], flags: { prefix: boolean; rev: number; prevKv: boolean }, env: NodeJS.ProcessEnv): WatchArgs {
  const envKey = env.ETCDCTL_WATCH_KEY ?? '';
  const envRange = env.ETCDCTL_WATCH_RANGE_END ?? '';
  const positional = [...args];
  if (envKey !== '') {
    if (positional.length > 0) throw new CliExit(ExitCode.BadArgs, 'bad number of arguments (found conflicting environment key)');
    positional.push(envKey);
    if (envRange !== '') positional.push(envRange);
  }
  if (positional.length < 1 || positional.length > 2) throw new CliExit(ExitCode.BadArgs, 'bad number of arguments');
  if (positional.length === 2 && flags.prefix) throw new CliExit(ExitCode.BadArgs, '`range_end` and `--prefix` are mutually exclusive');
  const opts: WatchOptions = { prefix: flags.prefix, prevKv: flags.prevKv };
  if (positional[1] !== undefined) opts.rangeEnd = positional[1];
  if (flags.rev > 0) opts.startRevision = flags.rev;
  return { key: positional[0]!, opts, exec };
}

async function printWatch(c: Ctx, cli: Client, w: WatchArgs, watchers?: Watcher[]): Promise<void> {
  const watcher = cli.watch(w.key, w.opts);
  watchers?.push(watcher);
  try {
    for await (const r of watcher) {
      if (Watcher.isProgressNotify(r)) c.io.out(`progress notify: ${r.header!.revision}\n`);
      c.display.watch(r);
      for (const ev of r.events) {
        if (w.exec.length === 0) continue;
        const res = spawnSync(w.exec[0]!, w.exec.slice(1), {
          stdio: 'inherit',
          env: {
            ...process.env,
            ETCD_WATCH_REVISION: String(r.header?.revision ?? 0),
            ETCD_WATCH_EVENT_TYPE: goQuote(ev.type === 1 ? 'DELETE' : 'PUT'),
            ETCD_WATCH_KEY: goQuote(dec.decode(ev.kv.key)),
            ETCD_WATCH_VALUE: goQuote(dec.decode(ev.kv.value)),
          },
        });
        if (res.status !== 0) {
          const why = res.error ? res.error.message : `exit status ${res.status}`;
          c.io.err(`command [${w.exec.map((a) => goQuote(a)).join(' ')}] error (${why})\n`);
          throw new CliExit(ExitCode.Error, '');
        }
      }
    }
  } catch (err) {
    if (err instanceof CliExit) throw err;
    c.io.err(`watch was canceled (${errorText(err)})\n`);
    if (!(err instanceof WatchCompactedError) && !(err instanceof Error && 'code' in err)) throw err;
  }
}

export async function watch(c: Ctx, exec: string[]): Promise<void> {
  const flags = { prefix: c.bool('prefix'), rev: c.int('rev'), prevKv: c.bool('prev-kv') };
  const envKey = process.env.ETCDCTL_WATCH_KEY ?? '';
  const envRange = process.env.ETCDCTL_WATCH_RANGE_END ?? '';
  if (envKey === '' && envRange !== '') throw new CliExit(ExitCode.BadArgs, `ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=${goQuote(envRange)}`);
  if (c.bool('interactive')) return interactive(c);
  const w = watchArgs(c.args, exec, flags, process.env);
  const cli = await c.client();
  await printWatch(c, cli, w);
  throw new CliExit(ExitCode.Interrupted, 'watch is canceled by the server');
}

async function interactive(c: Ctx): Promise<void> {
  const cli = await c.client();
  const running: Promise<void>[] = [];
  const watchers: Watcher[] = [];
  for await (const raw of c.io.stdinLines()) {
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
    const sep = words.indexOf('--');
    const exec = sep >= 0 ? words.slice(sep + 1) : [];
    const p = parseFlags(sep >= 0 ? words.slice(1, sep) : words.slice(1), WATCH_FLAGS);
    if (p.args.length < 1 && (process.env.ETCDCTL_WATCH_KEY ?? '') === '') {
      c.io.err(`Invalid command ${raw} (command type or key is not provided)\n`);
      continue;
    }
    const w = watchArgs(p.args, exec, { prefix: p.values.get('prefix') === 'true', rev: Number(p.values.get('rev')), prevKv: p.values.get('prev-kv') === 'true' }, process.env);
    running.push(printWatch(c, cli, w, watchers));
  }
  throw new CliExit(ExitCode.InvalidInput, 'Error reading watch request line: EOF');
}
