#!/usr/bin/env node
// etcdctl-ts: etcdctl v3's commands, flags, ETCDCTL_* variables, outputs and exit codes.
import { auth, role, user } from './commands/auth.js';
import { endpoint, member } from './commands/cluster.js';
import { elect, lock } from './commands/concurrency.js';
import { check } from './commands/check.js';
import { compaction, del, DEL_FLAGS, get, GET_FLAGS, put, PUT_FLAGS, txn } from './commands/kv.js';
import { lease } from './commands/lease.js';
import { makeMirror, MIRROR_FLAGS } from './commands/mirror.js';
import { alarm, defrag, moveLeader, snapshot } from './commands/maintenance.js';
import { downgrade } from './commands/downgrade.js';
import { watch, WATCH_FLAGS } from './commands/watch.js';
import { RESTORE_FLAGS } from './commands/restore-flags.js';
import { Ctx, envName, GLOBAL_FLAGS, type CommandIO } from './context.js';
import { K8S_FORMATS, type OutputFormat } from './display.js';
import { CliExit, ExitCode } from './exit.js';
import { parseFlags, UsageError, type FlagSpec } from './flags.js';
import { preflight } from './help/cli.js';
import { ETCDCTL_API_VERSION, ETCDCTL_VERSION } from './help/render.js';
import { StdinReader } from './stdin.js';

const b = (name: string, def = 'false', short?: string): FlagSpec => ({ name, kind: 'bool', default: def, short });
const s = (name: string, def = ''): FlagSpec => ({ name, kind: 'string', default: def });

interface Command {
  flags: FlagSpec[];
  run(c: Ctx): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  get: { flags: GET_FLAGS, run: get },
  put: { flags: PUT_FLAGS, run: put },
  del: { flags: DEL_FLAGS, run: del },
  txn: { flags: [b('interactive', 'false', 'i')], run: txn },
  compaction: { flags: [b('physical')], run: compaction },
  watch: { flags: WATCH_FLAGS, run: watch },
  lease: { flags: [b('keys'), b('once')], run: lease },
  member: { flags: [s('peer-urls'), b('learner')], run: member },
  endpoint: { flags: [b('cluster'), { name: 'rev', kind: 'int', default: '0' }], run: endpoint },
  alarm: { flags: [], run: alarm },
  defrag: { flags: [b('cluster'), s('data-dir')], run: defrag },
  snapshot: { flags: RESTORE_FLAGS, run: snapshot },
  'move-leader': { flags: [], run: moveLeader },
  downgrade: { flags: [], run: downgrade },
  auth: { flags: [], run: auth },
  user: { flags: [b('interactive', 'true'), s('new-user-password'), b('no-password'), b('detail')], run: user },
  role: { flags: [b('prefix'), b('from-key')], run: role },
  lock: { flags: [{ name: 'ttl', kind: 'int', default: '10' }], run: lock },
  elect: { flags: [b('listen', 'false', 'l')], run: elect },
  version: {
    flags: [],
    run: async (c) => {
      c.io.out(`etcdctl version: ${ETCDCTL_VERSION}\nAPI version: ${ETCDCTL_API_VERSION}\n`);
    },
  },
  'make-mirror': { flags: MIRROR_FLAGS, run: makeMirror },
  check: { flags: [s('load', 's'), s('prefix'), b('auto-compact'), b('auto-defrag')], run: check },
};

function stdio(): CommandIO {
  const stdin = new StdinReader(process.stdin);
  let rest: Promise<Buffer> | undefined;
  const readAll = () => (rest ??= stdin.rest());
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readStdin: async () => (await readAll()).toString('utf8'),
    readStdinBytes: readAll,
    stdinLines: () => stdin.lines(),
    readLine: () => stdin.line(),
    readToken: () => stdin.token(),
  };
}

/** Runs one command line; resolves with the exit code. */
export async function run(argv: string[], env: NodeJS.ProcessEnv, io: CommandIO): Promise<number> {
  // The command name is the first word that is neither a flag nor a flag's value.
  let ctx: Ctx | undefined;
  try {
    const { answer, words, at } = preflight(argv);
    if (answer) {
      for (const w of answer.writes) (w.to === 'out' ? io.out : io.err)(w.text);
      return answer.code;
    }
    const name = words[at[0]!]!;
    const cmd = COMMANDS[name];
    if (!cmd) throw new CliExit(ExitCode.Error, `"${name}" is not available in etcdctl-ts`);
    const parsed = parseFlags(words.filter((_, i) => i !== at[0]), [...GLOBAL_FLAGS, ...cmd.flags, b('help', 'false', 'h')]);
    for (const f of GLOBAL_FLAGS) {
      const v = env[envName(f.name)];
      if (v !== undefined && !parsed.changed.has(f.name)) parsed.values.set(f.name, v);
    }
    const format = parsed.values.get('write-out') ?? '';
    if (K8S_FORMATS.includes(format as OutputFormat) && name !== 'get') throw new CliExit(ExitCode.BadFeature, `${format} not supported as output format`);
    ctx = new Ctx(parsed, parsed.args, io, argv, env);
    await ctx.display.loadK8s();
    await cmd.run(ctx);
    return ExitCode.Success;
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message !== '') io.err(`Error: ${err.message}\n`);
      return err.code;
    }
    if (err instanceof UsageError) {
      io.err(`Error: ${err.message}\n`);
      return ExitCode.Error;
    }
    io.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Error;
  } finally {
    await ctx?.close();
  }
}

export async function main(): Promise<void> {
  if (process.env.ETCDCTL_API !== undefined && process.env.ETCDCTL_API !== '' && process.env.ETCDCTL_API !== '3') {
    process.stderr.write(`Error: etcdctl-ts speaks the v3 API only (ETCDCTL_API=${process.env.ETCDCTL_API})\n`);
    process.exit(ExitCode.BadArgs);
  }
  // As etcdctl: the variable is consumed here, so commands it runs (watch, lock) don't see it.
  delete process.env.ETCDCTL_API;
  const code = await run(process.argv.slice(2), process.env, stdio());
  process.stdout.write('', () => process.exit(code));
}
