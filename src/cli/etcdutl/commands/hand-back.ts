// hand-back --data-dir [--wal-dir]: turns a stopped etcd-ts member's data dir into the
// files etcd 3.4 restarts the same member from (see datadir/handback.ts).
import { CliExit, ExitCode } from '../../etcdctl/exit.js';
import { strOf, type FlagSpec, type Parsed } from '../../etcdctl/flags.js';
import { handBack } from '../../../datadir/handback.js';
import { zapLogger, type UtilIO } from '../../etcdctl/zap-log.js';

export const HAND_BACK_FLAGS: FlagSpec[] = [
  { name: 'data-dir', kind: 'string', default: '' },
  { name: 'wal-dir', kind: 'string', default: '' },
];

export async function handBackCommand(flags: Parsed, io: UtilIO): Promise<void> {
  const dataDir = strOf(flags, 'data-dir');
  if (dataDir === '') throw new CliExit(ExitCode.BadArgs, 'required flag(s) "data-dir" not set');
  const walDir = strOf(flags, 'wal-dir');
  try {
    const r = await handBack({ dataDir, walDir: walDir || undefined }, zapLogger(io));
    io.out(`handed member ${r.memberId.toString(16)} of cluster ${r.clusterId.toString(16)} back to etcd: snapshot at index ${r.index} (term ${r.term}), ${r.entries} log entries after it\n`);
  } catch (err) {
    throw new CliExit(ExitCode.Error, `Failed to hand etcd data[${dataDir}] back (${err instanceof Error ? err.message : String(err)})`);
  }
}
