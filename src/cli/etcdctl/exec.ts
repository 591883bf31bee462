// Commands etcdctl runs for watch events and held locks, as Go's exec.Cmd.Run:
// stdout and stderr shared, stdin /dev/null, the event loop left running (lease
// keep-alives go on while the command runs), and failures in Go's words.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** syscall.Signal's String() on Linux, for "signal: <name>". */
const SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
};

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** exec.LookPath for a name without a slash: the first executable file on PATH. */
function lookPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const full = join(dir === '' ? '.' : dir, name);
    if (isExecutable(full)) return full;
  }
  return undefined;
}

/** Runs `argv`; resolves with Go's error text for a failure, or undefined when it exited 0. */
export function runCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [name, ...args] = argv;
  if (name === undefined) return Promise.resolve('exec: no command');
  const path = lookPath(name, env);
  if (path === undefined) return Promise.resolve(`exec: ${JSON.stringify(name)}: executable file not found in $PATH`);
  return new Promise((resolve) => {
    const child = spawn(path, args, { argv0: name, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
      resolve(`fork/exec ${path}: ${why}`);
    });
    child.once('exit', (code, signal) => {
      if (signal) resolve(`signal: ${SIGNAL_TEXT[signal] ?? signal}`);
      else resolve(code === 0 ? undefined : `exit status ${code}`);
    });
  });
}
