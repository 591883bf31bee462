// lock and elect: hold a session lease, act, and give up on SIGINT/SIGTERM.
import { spawnSync } from 'node:child_process';
import type { Client } from '../../../client/client.js';
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';

/** Resolves on the first SIGINT or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const on = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function session(cli: Client, ttl: number): Promise<{ id: bigint; lost: Promise<void>; close(): Promise<void> }> {
  const g = await cli.lease.grant(ttl).catch((e) => fail(e));
  const k = cli.lease.keepAlive(g.ID, g.TTL);
  const lost = new Promise<void>((r) => k.once('lost', () => r()));
  return {
    id: g.ID,
    lost,
    async close() {
      k.close();
      await cli.lease.revoke(g.ID, { timeoutMs: 1000 }).catch(() => {});
    },
  };
}

export async function lock(c: Ctx): Promise<void> {
  if (c.args.length === 0) throw new CliExit(ExitCode.BadArgs, 'lock takes a lock name argument and an optional command to execute.');
  const [name, ...exec] = c.args;
  const cli = await c.client();
  const s = await session(cli, c.int('ttl'));
  const stop = new AbortController();
  void interrupted().then(() => stop.abort());
  const held = await cli.lock.lock(name!, s.id, { signal: stop.signal }).catch(async (e) => {
    await s.close();
    return fail(e);
  });
  if (exec.length > 0) {
    const res = spawnSync(exec[0]!, exec.slice(1), { stdio: 'inherit', env: { ...process.env, ETCD_LOCK_KEY: new TextDecoder().decode(held.key), ETCD_LOCK_REV: String(held.header?.revision ?? 0) } });
    await cli.lock.unlock(held.key).catch(() => {});
    await s.close();
    if (res.status !== 0) throw new CliExit(ExitCode.Error, res.error ? res.error.message : `exit status ${res.status}`);
    return;
  }
  const k = await cli.kv.get(held.key).catch((e) => fail(e));
  if (k.kvs.length === 0) throw new CliExit(ExitCode.Error, 'lock lost on init');
  c.display.get(k);
  const expired = await Promise.race([interrupted().then(() => false), s.lost.then(() => true)]);
  await cli.lock.unlock(held.key).catch(() => {});
  await s.close();
  if (expired) throw new CliExit(ExitCode.Error, 'session expired');
}

export async function elect(c: Ctx): Promise<void> {
  const listen = c.bool('listen');
  if (listen ? c.args.length !== 1 : c.args.length !== 2) throw new CliExit(ExitCode.BadArgs, 'elect takes one election name argument and an optional proposal argument.');
  const [name, proposal] = c.args;
  const cli = await c.client();
  const stop = new AbortController();
  void interrupted().then(() => stop.abort());
  if (listen) {
    try {
      for await (const r of cli.election.observe(name!, { signal: stop.signal })) if (r.kv) c.display.get({ header: r.header, kvs: [r.kv], more: false, count: 1 });
    } catch (err) {
      if (!stop.signal.aborted) fail(err);
    }
    return;
  }
  const s = await session(cli, 60);
  const won = await cli.election.campaign(name!, s.id, proposal!, { signal: stop.signal }).catch(async (e) => {
    await s.close();
    return fail(e);
  });
  const leader = won.leader!;
  const res = await cli.kv.get(leader.key, c.timeout()).catch((e) => fail(e));
  c.display.get(res);
  await Promise.race([interrupted(), s.lost]);
  await cli.election.resign(leader).catch(() => {});
  await s.close();
}
