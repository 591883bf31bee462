import { defaultConfig } from './defaults.js';
import { FLAGS, type FlagSection, type FlagSpec } from './flags.js';
import { formatGoDuration, urlString } from './go-values.js';

/** The short usage etcd prints after a flag error; its first line is etcd's own. */
export const USAGE_SUMMARY = `Usage:

  etcd-ts [flags]
    Start an etcd member.

  etcd-ts --version
    Print the etcd API version this member implements and its own version.

  etcd-ts -h | --help
    Print this help, with every flag and its default.

  etcd-ts --config-file
    Read the configuration from a YAML file with etcd's keys; other flags and ETCD_* variables are then ignored.
`;

const SECTIONS: readonly FlagSection[] = [
  'Member',
  'Clustering',
  'Security',
  'Auth',
  'Profiling and Monitoring',
  'Logging',
  'v2 Proxy (to be deprecated in v4)',
  'Experimental distributed tracing',
  'Experimental feature',
  'Unsafe feature',
  'To be deprecated',
];

function shownDefault(spec: FlagSpec): string {
  if (spec.shownDefault !== undefined) return spec.shownDefault;
  if (spec.key === undefined) return '';
  const v: unknown = defaultConfig()[spec.key];
  if (spec.kind.t === 'duration') return formatGoDuration(v as number);
  if (Array.isArray(v)) return v.map((x) => (x instanceof URL ? urlString(x) : String(x))).join(',');
  return String(v);
}

/** --help text: the summary, then every documented flag by section with its default. */
export function helpText(): string {
  const lines = [USAGE_SUMMARY];
  for (const section of SECTIONS) {
    lines.push(`${section}:`);
    for (const spec of FLAGS.filter((f) => f.section === section)) {
      lines.push(`  --${spec.name} '${shownDefault(spec)}'`, `    ${spec.usage}${spec.notYetAvailable ? ' (accepted, not available yet)' : ''}`);
    }
    lines.push('');
  }
  lines.push('Every flag --foo-bar may also be given as the environment variable ETCD_FOO_BAR; a flag on the command line must not also be set in the environment.', '');
  return lines.join('\n');
}
