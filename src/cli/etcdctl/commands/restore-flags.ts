// snapshot restore's flags, on their own so that a command line can be parsed
// without loading the restore (and its storage engine).
import type { FlagSpec } from '../flags.js';

export const DEFAULT_NAME = 'default';

export const RESTORE_FLAGS: FlagSpec[] = [
  { name: 'data-dir', kind: 'string', default: '' },
  { name: 'wal-dir', kind: 'string', default: '' },
  { name: 'initial-cluster', kind: 'string', default: `${DEFAULT_NAME}=http://localhost:2380` },
  { name: 'initial-cluster-token', kind: 'string', default: 'etcd-cluster' },
  { name: 'initial-advertise-peer-urls', kind: 'string', default: 'http://localhost:2380' },
  { name: 'name', kind: 'string', default: DEFAULT_NAME },
  { name: 'skip-hash-check', kind: 'bool', default: 'false' },
];
