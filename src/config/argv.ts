import { isBoolKind, setFlagValue } from './flag-kinds.js';
import { FLAGS_BY_NAME, type FlagSpec } from './flags.js';
import { goQuote } from './go-values.js';
import type { EtcdConfig } from './types.js';

export type ArgvOutcome =
  | { kind: 'ok'; set: Set<string>; rest: string[] }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

/** Applies one flag's value to the config, or returns etcd's reason for refusing it. */
export function applyFlag(cfg: EtcdConfig, spec: FlagSpec, raw: string, warnings: string[]): string | undefined {
  if (raw.includes('\uFFFD')) return 'value is not valid UTF-8';
  if (spec.kind.t === 'ignored') {
    warnings.push(`flag "-${spec.name}" is no longer supported - ignoring.`);
    return undefined;
  }
  const r = setFlagValue(spec.kind, raw, spec.key === undefined ? undefined : cfg[spec.key]);
  if ('error' in r) return r.error;
  if (spec.key !== undefined) (cfg as unknown as Record<string, unknown>)[spec.key] = r.value;
  return undefined;
}

/**
 * Go's flag.FlagSet.Parse as etcd uses it: -flag, --flag, -flag=value, -flag value, bool flags
 * without a value, parsing stops at the first non-flag argument or after "--".
 */
export function parseArgv(argv: readonly string[], cfg: EtcdConfig, warnings: string[], flagValues: Map<string, string>): ArgvOutcome {
  const set = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const s = argv[i];
    if (s.length < 2 || s[0] !== '-') break;
    let dashes = 1;
    if (s[1] === '-') {
      dashes = 2;
      if (s.length === 2) {
        i++;
        break;
      }
    }
    let name = s.slice(dashes);
    if (name === '' || name[0] === '-' || name[0] === '=') return { kind: 'error', message: `bad flag syntax: ${s}` };
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=', 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) {
      if (name === 'help' || name === 'h') return { kind: 'help' };
      return { kind: 'error', message: `flag provided but not defined: -${name}` };
    }
    if (isBoolKind(spec.kind)) {
      const raw = value ?? 'true';
      const why = applyFlag(cfg, spec, raw, warnings);
      if (why !== undefined) {
        return { kind: 'error', message: value === undefined ? `invalid boolean flag ${name}: ${why}` : `invalid boolean value ${goQuote(raw)} for -${name}: ${why}` };
      }
      flagValues.set(name, raw);
    } else {
      if (value === undefined && i < argv.length) value = argv[i++];
      if (value === undefined) return { kind: 'error', message: `flag needs an argument: -${name}` };
      const why = applyFlag(cfg, spec, value, warnings);
      if (why !== undefined) return { kind: 'error', message: `invalid value ${goQuote(value)} for flag -${name}: ${why}` };
      flagValues.set(name, value);
    }
    set.add(name);
  }
  return { kind: 'ok', set, rest: argv.slice(i) };
}
