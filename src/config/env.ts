import { applyFlag } from './argv.js';
import { FLAGS, flagToEnv } from './flags.js';
import { goQuote } from './go-values.js';
import type { EtcdConfig } from './types.js';

export type EnvOutcome = { kind: 'ok'; used: Set<string> } | { kind: 'error'; message: string } | { kind: 'fatal'; message: string };

// Read by etcd before flags are parsed, so it never counts as unrecognized.
// ETCD_TS_FAILPOINTS is read by pkg/failpoint, for the robustness tests.
const CONSUMED_ELSEWHERE = new Set(['ETCD_UNSUPPORTED_ARCH', 'ETCD_TS_FAILPOINTS']);

/**
 * Fills flags not given on the command line from ETCD_* variables, as etcd's
 * flags.SetFlagsFromEnv does: empty variables are skipped, a variable shadowed by a
 * command-line flag is fatal, and other ETCD_* variables are warned about.
 */
export function applyEnv(env: NodeJS.ProcessEnv, cfg: EtcdConfig, setOnCommandLine: ReadonlySet<string>, warnings: string[]): EnvOutcome {
  const used = new Set<string>();
  const shadowed = new Set([...setOnCommandLine].map(flagToEnv));
  let error: string | undefined;
  const sorted = [...FLAGS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const spec of sorted) {
    const key = flagToEnv(spec.name);
    if (shadowed.has(key)) continue;
    const value = env[key];
    if (value === undefined || value === '') continue;
    used.add(key);
    const why = applyFlag(cfg, spec, value, warnings);
    if (why !== undefined) error = `invalid value ${goQuote(value)} for ${key}: ${why}`;
  }
  for (const [key, value] of Object.entries(env)) {
    if (used.has(key) || CONSUMED_ELSEWHERE.has(key)) continue;
    if (shadowed.has(key)) {
      return {
        kind: 'fatal',
        message: `conflicting environment variable ${goQuote(key)} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
      };
    }
    if (key.startsWith('ETCD_')) warnings.push(`unrecognized environment variable ${key}=${value ?? ''}`);
  }
  return error === undefined ? { kind: 'ok', used } : { kind: 'error', message: error };
}
