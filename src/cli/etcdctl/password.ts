// Password prompts as etcdctl's (speakeasy): the prompt on stdout, echo turned off
// with stty on stdin's terminal for the read, one line read and trimmed, then a
// newline on stdout. Without a terminal stty complains on stderr, as it does for
// etcdctl. A terminating signal during the prompt turns echo back on and exits 255
// (Go's os.Exit(-1)), so the terminal is never left silent.
import { spawnSync } from 'node:child_process';
import { CliExit, ExitCode } from './exit.js';
import type { CommandIO } from './context.js';

const stty = (arg: string) => spawnSync('/bin/stty', [arg], { stdio: 'inherit', argv0: 'stty' });

const PROMPT_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'];

export async function askPassword(io: CommandIO, prompt: string): Promise<string> {
  io.out(prompt);
  const onSignal = () => {
    stty('echo');
    process.exit(255);
  };
  for (const s of PROMPT_SIGNALS) process.on(s, onSignal);
  stty('-echo');
  try {
    const line = (await io.readLine()) ?? '';
    return line.replace(/\r$/, '').trim();
  } finally {
    stty('echo');
    for (const s of PROMPT_SIGNALS) process.off(s, onSignal);
    io.out('\n');
  }
}

/** user add / user passwd without a password: asked twice, both must match. */
export async function readPasswordInteractive(io: CommandIO, name: string): Promise<string> {
  const first = await askPassword(io, `Password of ${name}: `);
  if (first.length === 0) throw new CliExit(ExitCode.BadArgs, 'empty password');
  const second = await askPassword(io, `Type password of ${name} again for confirmation: `);
  if (first !== second) throw new CliExit(ExitCode.BadArgs, 'given passwords are different');
  return first;
}
