// snapshot restore: a data dir from a snapshot file, offline. etcdctl 3.4 has it, and
// etcdutl took it over later; both run this.
import { restoreSnapshot } from '../../../snapshot/index.js';
import { CliExit, ExitCode } from '../exit.js';
import { boolOf, strOf, type Parsed } from '../flags.js';
import { zapLogger, type UtilIO } from '../zap-log.js';

export async function snapshotRestore(flags: Parsed, args: string[], io: UtilIO): Promise<void> {
  if (args.length !== 1) throw new CliExit(ExitCode.BadArgs, 'snapshot restore requires exactly one argument');
  const name = strOf(flags, 'name');
  const dataDir = strOf(flags, 'data-dir') || `${name}.etcd`;
  const walDir = strOf(flags, 'wal-dir') || undefined;
  const log = zapLogger(io);
  // The lines etcdctl 3.4 logs for a restore, with the same callers, so log scrapers see no difference.
  const callers: Record<string, string> = {
    'restoring snapshot': 'snapshot/v3_snapshot.go:296',
    'added member': 'membership/cluster.go:392',
    'restored snapshot': 'snapshot/v3_snapshot.go:309',
  };
  try {
    await restoreSnapshot(
      {
        snapshotPath: args[0]!,
        name,
        dataDir,
        walDir,
        initialCluster: strOf(flags, 'initial-cluster'),
        initialClusterToken: strOf(flags, 'initial-cluster-token'),
        peerUrls: strOf(flags, 'initial-advertise-peer-urls').split(','),
        skipHashCheck: boolOf(flags, 'skip-hash-check'),
      },
      (msg, fields) => log(msg, fields, callers[msg]),
    );
  } catch (err) {
    throw new CliExit(ExitCode.Error, err instanceof Error ? err.message : String(err));
  }
}
