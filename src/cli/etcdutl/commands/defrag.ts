// defrag --data-dir: compacts a stopped member's backend in place.
import { CliExit, ExitCode } from '../../etcdctl/exit.js';
import { strOf, type Parsed } from '../../etcdctl/flags.js';
import { defragDataDir } from '../../../snapshot/index.js';
import { zapLogger, type UtilIO } from '../../etcdctl/zap-log.js';

export async function defrag(flags: Parsed, io: UtilIO): Promise<void> {
  const dataDir = strOf(flags, 'data-dir');
  if (dataDir === '') throw new CliExit(ExitCode.BadArgs, 'required flag(s) "data-dir" not set');
  const log = zapLogger(io);
  log('defragmenting', { path: dataDir });
  try {
    const r = await defragDataDir(dataDir);
    log('defragmented', {
      path: r.dbPath,
      'current-db-size-bytes-diff': r.sizeAfter - r.sizeBefore,
      'current-db-size-bytes': r.sizeAfter,
    });
  } catch (err) {
    throw new CliExit(ExitCode.Error, `Failed to defragment etcd data[${dataDir}] (${err instanceof Error ? err.message : String(err)})`);
  }
}
