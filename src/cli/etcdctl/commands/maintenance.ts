// alarm list/disarm, defrag, snapshot save, move-leader.
import { closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync } from 'node:fs';
import { AlarmType } from '../../../client/maintenance.js';
import type { AlarmResponse } from '../../../client/types.js';
import { CliExit, ExitCode } from '../exit.js';
import { humanBytes } from '../format.js';
import { errorText, fail, type Ctx } from '../context.js';
import { endpointsFromCluster } from './cluster.js';
import { dbStatus } from './snapshot-status.js';

export async function alarm(c: Ctx): Promise<void> {
  const [sub] = c.args;
  const cli = await c.client();
  if (sub === 'list') {
    const r = await cli.maintenance.alarmList(c.timeout()).catch((e) => fail(e));
    return c.display.alarm(r);
  }
  if (sub === 'disarm') {
    // As clientv3's AlarmDisarm with no member: disarm every raised alarm.
    const list = await cli.maintenance.alarmList(c.timeout()).catch((e) => fail(e));
    let r: AlarmResponse = { header: list.header, alarms: [] };
    for (const a of list.alarms) {
      const d = await cli.maintenance.alarmDisarm(a.memberID, a.alarm as AlarmType, c.timeout()).catch((e) => fail(e));
      r = { header: d.header, alarms: [...r.alarms, ...d.alarms] };
    }
    return c.display.alarm(r);
  }
  throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl alarm"`);
}

export async function defrag(c: Ctx): Promise<void> {
  if (c.str('data-dir') !== '') throw new CliExit(ExitCode.Error, 'defragmenting a data directory offline is not available in etcdctl-ts');
  let failed = false;
  for (const ep of await endpointsFromCluster(c)) {
    try {
      const cli = await c.client([ep]);
      await cli.maintenance.defragment(c.timeout());
      c.io.out(`Finished defragmenting etcd member[${ep}]\n`);
    } catch (err) {
      failed = true;
      c.io.err(`Failed to defragment etcd member[${ep}] (${errorText(err)})\n`);
    }
  }
  if (failed) throw new CliExit(ExitCode.Error, '');
}

export async function snapshot(c: Ctx): Promise<void> {
  const [sub, path] = c.args;
  if (sub === 'status') {
    if (c.args.length !== 2) throw new CliExit(ExitCode.BadArgs, 'snapshot status requires exactly one argument');
    let status;
    try {
      status = dbStatus(path!);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliExit(ExitCode.Error, e.code === 'ENOENT' ? `stat ${path}: no such file or directory` : e.message);
    }
    return c.display.dbStatus(status);
  }
  if (sub !== 'save') {
    if (sub === 'restore') {
      // Loaded only here: the restore brings the storage engine with it.
      const { snapshotRestore } = await import('./snapshot-restore.js');
      return snapshotRestore(c.flags, c.args.slice(1), c.io);
    }
    throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl snapshot"`);
  }
  if (c.args.length !== 2) throw new CliExit(ExitCode.BadArgs, 'snapshot save expects one argument');
  const eps = c.endpoints();
  if (eps.length !== 1) throw new CliExit(ExitCode.BadArgs, `snapshot must be requested to one selected node, not multiple [${eps.join(' ')}]`);
  const cli = await c.client();
  const partial = `${path}.part`;
  // etcdctl 3.4 narrates a snapshot with zap's production logger (epoch-seconds timestamps).
  const epoch = () => Date.now() / 1000;
  const log = (caller: string, msg: string, fields: Record<string, unknown> = {}, isoTs = false) =>
    c.io.err(JSON.stringify({ level: 'info', ts: isoTs ? new Date().toISOString() : epoch(), caller, msg, ...fields }) + '\n');
  const fd = openSync(partial, 'w', 0o600);
  log('snapshot/v3_snapshot.go:119', 'created temporary db file', { path: partial });
  const start = process.hrtime.bigint();
  let size = 0;
  try {
    let opened = false;
    for await (const chunk of cli.maintenance.snapshot()) {
      if (!opened) {
        opened = true;
        log('clientv3/maintenance.go:200', 'opened snapshot stream; downloading', {}, true);
        log('snapshot/v3_snapshot.go:127', 'fetching snapshot', { endpoint: eps[0] });
      }
      writeSync(fd, chunk);
      size += chunk.length;
    }
    log('clientv3/maintenance.go:208', 'completed snapshot read; closing', {}, true);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    fail(err);
  }
  closeSync(fd);
  log('snapshot/v3_snapshot.go:142', 'fetched snapshot', { endpoint: eps[0], size: humanBytes(size), took: Number(process.hrtime.bigint() - start) / 1e9 });
  renameSync(partial, path!);
  log('snapshot/v3_snapshot.go:152', 'saved', { path });
  c.io.out(`Snapshot saved at ${path}\n`);
}

export async function moveLeader(c: Ctx): Promise<void> {
  if (c.args.length !== 1) throw new CliExit(ExitCode.BadArgs, 'move-leader command needs 1 argument');
  const text = c.args[0]!;
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new CliExit(ExitCode.BadArgs, `strconv.ParseUint: parsing "${text}": invalid syntax`);
  const target = BigInt('0x' + text);
  // As etcdctl: ask each endpoint in turn; one that cannot answer ends the command.
  for (const ep of c.endpoints()) {
    const cli = await c.client([ep]);
    const s = await cli.maintenance.status(c.timeout()).catch((e) => fail(e));
    if (s.leader !== s.header?.memberId) continue;
    const r = await cli.maintenance.moveLeader(target, c.timeout()).catch((e) => fail(e));
    return c.display.moveLeader(s.leader, target, r);
  }
  throw new CliExit(ExitCode.BadArgs, `no leader endpoint given at [${c.endpoints().join(' ')}]`);
}
