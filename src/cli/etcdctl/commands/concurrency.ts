// lock and elect, as etcdctl runs them: a session lease, clientv3's Mutex and
// Election recipes over KV and watches, and SIGINT/SIGTERM as the way out (the
// lock is released or the leadership resigned; the session lease is left to expire).
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';
import { runCommand } from '../exec.js';
import { Election, observe } from '../concurrency/election.js';
import { Mutex } from '../concurrency/mutex.js';
import { Session } from '../concurrency/session.js';

/** signal.Notify(SIGINT, SIGTERM): from now on those end the wait instead of the process. */
function untilSignal(): AbortSignal {
  const stop = new AbortController();
  const on = () => stop.abort();
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return stop.signal;
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

export async function lock(c: Ctx): Promise<void> {
  if (c.args.length === 0) throw new CliExit(ExitCode.BadArgs, 'lock takes a lock name argument and an optional command to execute');
  const [name, ...cmdArgs] = c.args;
  const cli = await c.client();
  const s = await Session.open(cli, c.int('ttl')).catch((e) => fail(e));
  const m = new Mutex(s, name!);
  const signal = untilSignal();
  await m.lock(signal).catch((e) => fail(e));
  if (cmdArgs.length > 0) {
    const env = { ETCD_LOCK_KEY: m.key, ETCD_LOCK_REV: String(m.header?.revision ?? 0), ...c.env };
    const failed = await runCommand(cmdArgs, env);
    await m.unlock().catch((e) => fail(e));
    if (failed !== undefined) throw new CliExit(ExitCode.Error, failed);
    return;
  }
  const k = await cli.kv.get(m.key, { signal }).catch((e) => fail(e));
  if (k.kvs.length === 0) throw new CliExit(ExitCode.Error, 'lock lost on init');
  c.display.get(k);
  const interrupted = await Promise.race([aborted(signal).then(() => true), s.done.then(() => false)]);
  if (!interrupted) throw new CliExit(ExitCode.Error, 'session expired');
  await m.unlock().catch((e) => fail(e));
}

export async function elect(c: Ctx): Promise<void> {
  if (c.args.length !== 1 && c.args.length !== 2) throw new CliExit(ExitCode.BadArgs, 'elect takes one election name argument and an optional proposal argument');
  const listen = c.bool('listen');
  const cli = await c.client();
  const [name, proposal] = c.args;
  if (proposal === undefined) {
    if (!listen) throw new CliExit(ExitCode.BadArgs, 'no proposal argument but -l not set');
    await Session.open(cli, 60).catch((e) => fail(e));
    const signal = untilSignal();
    for await (const r of observe(cli, name!, signal)) c.display.get(r);
    if (!signal.aborted) throw new CliExit(ExitCode.Error, 'elect: observer lost');
    return;
  }
  if (listen) throw new CliExit(ExitCode.BadArgs, 'proposal given but -l is set');
  const s = await Session.open(cli, 60).catch((e) => fail(e));
  const e = new Election(s, name!);
  const signal = untilSignal();
  await e.campaign(proposal, signal).catch((err) => fail(err));
  const r = await cli.kv.get(e.key, { signal }).catch((err) => fail(err));
  c.display.get(r);
  const interrupted = await Promise.race([aborted(signal).then(() => true), s.done.then(() => false)]);
  if (!interrupted) throw new CliExit(ExitCode.Error, 'elect: session expired');
  await e.resign().catch((err) => fail(err));
}
