import { readFileSync } from 'node:fs';
import { DEFAULT_RELEASE_VERSION } from '../version/index.js';

// The etcd release whose API this member implements and reports by default; clients gate features on it.
export const ETCD_API_VERSION = DEFAULT_RELEASE_VERSION;

/** The oldest cluster version a 3.4 member works with (etcd's version.MinClusterVersion). */
export const MIN_CLUSTER_VERSION = '3.0.0';

function packageVersion(): string {
  // dist/src/config → repository root holds package.json
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'etcd-ts' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

export const ETCD_TS_VERSION = packageVersion();

function nodeArch(): string {
  return process.arch === 'x64' ? 'x64' : process.arch;
}

export function versionText(): string {
  return (
    `etcd Version: ${ETCD_API_VERSION}\n` +
    `etcd-ts Version: ${ETCD_TS_VERSION}\n` +
    `Git SHA: Not provided\n` +
    `Node Version: ${process.version}\n` +
    `Node OS/Arch: ${process.platform}/${nodeArch()}\n`
  );
}
