#!/usr/bin/env node
// etcdutl-ts: the offline tools of etcd 3.5's etcdutl, on a data dir or a snapshot file
// rather than a running member: snapshot status/restore, defrag, version; and hand-back,
// which turns an etcd-ts member's data dir into etcd's.
import { ETCDCTL_API_VERSION, ETCDCTL_VERSION } from '../etcdctl/help/render.js';
import { Display, type OutputFormat } from '../etcdctl/display.js';
import { CliExit, ExitCode } from '../etcdctl/exit.js';
import { parseFlags, strOf, UsageError, type FlagSpec, type Parsed } from '../etcdctl/flags.js';
import { defrag } from './commands/defrag.js';
import { HAND_BACK_FLAGS, handBackCommand } from './commands/hand-back.js';
import { RESTORE_FLAGS, snapshotRestore, snapshotStatus } from './commands/snapshot.js';
import type { UtilIO } from '../etcdctl/zap-log.js';

const GLOBAL_FLAGS: FlagSpec[] = [{ name: 'write-out', kind: 'string', short: 'w', default: 'simple' }];
const FORMATS: readonly string[] = ['simple', 'json', 'fields', 'table'];

interface Command {
  /** Words after the binary name that select the command. */
  path: string[];
  flags: FlagSpec[];
  run(p: Parsed, args: string[], io: UtilIO): Promise<void> | void;
}

const COMMANDS: Command[] = [
  { path: ['snapshot', 'status'], flags: [], run: (p, args, io) => snapshotStatus(args, display(p, io)) },
  { path: ['snapshot', 'restore'], flags: RESTORE_FLAGS, run: snapshotRestore },
  { path: ['defrag'], flags: [{ name: 'data-dir', kind: 'string', default: '' }], run: (p, _args, io) => defrag(p, io) },
  { path: ['hand-back'], flags: HAND_BACK_FLAGS, run: (p, _args, io) => handBackCommand(p, io) },
  {
    path: ['version'],
    flags: [],
    run: (_p, _args, io) => io.out(`etcdutl version: ${ETCDCTL_VERSION}\nAPI version: ${ETCDCTL_API_VERSION}\n`),
  },
];

function display(p: Parsed, io: UtilIO): Display {
  const format = strOf(p, 'write-out');
  if (!FORMATS.includes(format)) throw new CliExit(ExitCode.BadFeature, 'unsupported output format');
  return new Display(format as OutputFormat, false, io.out, io.err);
}

/** Runs one command line; resolves with the exit code. */
export async function run(argv: string[], io: UtilIO): Promise<number> {
  try {
    const allFlags = [...GLOBAL_FLAGS, ...COMMANDS.flatMap((c) => c.flags)].filter((f, i, a) => a.findIndex((g) => g.name === f.name) === i);
    const words = parseFlags(argv, allFlags).args;
    if (words.length === 0) throw new CliExit(ExitCode.BadArgs, 'a command is required (etcdutl-ts snapshot status|snapshot restore|defrag|hand-back|version)');
    const cmd = COMMANDS.find((c) => c.path.every((w, i) => words[i] === w));
    if (!cmd) {
      if (words[0] === 'snapshot') throw new CliExit(ExitCode.BadArgs, `unknown command "${words[1] ?? ''}" for "etcdutl snapshot"`);
      throw new CliExit(ExitCode.BadArgs, `unknown command "${words[0]}" for "etcdutl"`);
    }
    // Parsed again with only this command's flags; its words lead the positional arguments.
    const parsed = parseFlags(argv, [...GLOBAL_FLAGS, ...cmd.flags]);
    await cmd.run(parsed, parsed.args.slice(cmd.path.length), io);
    return ExitCode.Success;
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message !== '') io.err(`Error: ${err.message}\n`);
      return err.code;
    }
    io.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? ExitCode.BadArgs : ExitCode.Error;
  }
}

export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
  process.stdout.write('', () => process.exit(code));
}
