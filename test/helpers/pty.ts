// A command run on a pseudo-terminal, as a person runs it in a terminal: util-linux's
// `script` gives it a pty (stdin, stdout and stderr all on it, line discipline in
// cooked mode: typed text is echoed, Ctrl-C is SIGINT to the command, \n is shown as
// \r\n). What the terminal shows is read back as one stream, so interleaving of
// stdout and stderr and the echo of what was typed are all part of the screen.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

export const SCRIPT_BIN = '/usr/bin/script';

export interface TerminalOptions {
  /** The whole environment of the command (nothing is inherited). */
  env: Record<string, string>;
  cwd?: string;
}

export interface Exited {
  /** The exit status; 128 + n when the command died of signal n (as a shell shows it). */
  code: number;
  screen: string;
}

export interface Terminal {
  /** Everything the terminal has shown so far. */
  screen(): string;
  /** Types `text` as keystrokes: "\x03" is Ctrl-C, "\x04" Ctrl-D, "\n" Enter. */
  type(text: string): void;
  /** Waits until the screen contains `text` (or matches it), at most `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits until the terminal no longer echoes (a password prompt is reading). */
  waitForEchoOff(timeoutMs?: number): Promise<void>;
  /** Resolves when the command has exited and its last output is read. */
  readonly exited: Promise<Exited>;
  /** Kills the command (SIGKILL) if it is still running; resolves when it is gone. */
  kill(): Promise<Exited>;
}

/** POSIX shell quoting, for the command line `script` hands to sh. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

const DEFAULT_WAIT_MS = 20_000;

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `file args…` on a new pty. */
export function openTerminal(file: string, args: string[], opts: TerminalOptions): Terminal {
  const line = ['exec', quote(file), ...args.map(quote)].join(' ');
  const child = spawn(SCRIPT_BIN, ['--quiet', '--return', '--flush', '--command', line, '/dev/null'], {
    env: { ...opts.env, SHELL: '/bin/sh' },
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let errors = '';
  child.stdout.on('data', (c: Buffer) => (screen += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (errors += c.toString('utf8')));
  child.stdin.on('error', () => {});
  const exited = new Promise<Exited>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (errors !== '') return reject(new Error(`script: ${errors}`));
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), screen });
    });
  });
  exited.catch(() => {});
  let done = false;
  void exited.finally(() => (done = true));
  const describe = () => `${[file, ...args].join(' ')}: screen so far ${JSON.stringify(screen)}`;

  /** The pty the command runs on: script's child's stdin. */
  const ptyPath = (): string | undefined => {
    try {
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
      return kids[0] ? readlinkSync(`/proc/${kids[0]}/fd/0`) : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    screen: () => screen,
    type: (text) => void child.stdin.write(text),
    exited,
    async waitFor(text, timeoutMs = DEFAULT_WAIT_MS) {
      const seen = () => (typeof text === 'string' ? screen.includes(text) : text.test(screen));
      await until(() => seen() || done, timeoutMs, () => `timed out waiting for ${String(text)}; ${describe()}`);
      if (!seen()) throw new Error(`exited before showing ${String(text)}; ${describe()}`);
    },
    async waitForEchoOff(timeoutMs = DEFAULT_WAIT_MS) {
      const echoOff = () => {
        const pty = ptyPath();
        if (pty === undefined || !pty.startsWith('/dev/pts/')) return false;
        const r = spawnSync('stty', ['-F', pty, '-a'], { encoding: 'utf8' });
        return r.status === 0 && /(^|\s)-echo(\s|$)/.test(r.stdout);
      };
      await until(() => echoOff() || done, timeoutMs, () => `timed out waiting for echo off; ${describe()}`);
    },
    async kill() {
      if (!done) {
        const kids = (() => {
          try {
            return readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
          } catch {
            return [];
          }
        })();
        for (const pid of kids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL');
      }
      return exited;
    },
  };
}
