// snapshot status and snapshot restore for etcdutl-ts: the same implementations as
// etcdctl-ts's (etcdctl 3.4 carries both; etcd 3.5 moved them to etcdutl with the same flags and texts).
import { dbStatus } from '../../etcdctl/commands/snapshot-status.js';
import type { Display } from '../../etcdctl/display.js';
import { CliExit, ExitCode } from '../../etcdctl/exit.js';
import { RESTORE_FLAGS } from '../../etcdctl/commands/restore-flags.js';
import { snapshotRestore } from '../../etcdctl/commands/snapshot-restore.js';

export { RESTORE_FLAGS, snapshotRestore };

export function snapshotStatus(args: string[], display: Display): void {
  if (args.length !== 1) throw new CliExit(ExitCode.BadArgs, 'snapshot status requires exactly one argument');
  const path = args[0]!;
  let status;
  try {
    status = dbStatus(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliExit(ExitCode.Error, e.code === 'ENOENT' ? `stat ${path}: no such file or directory` : e.message);
  }
  display.dbStatus(status);
}
