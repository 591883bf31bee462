// pflag-style command lines, as etcdctl's cobra parses them: --name=value,
// --name value, -x value, booleans with optional =true|false, "--" ends flags.
export type FlagKind = 'bool' | 'string' | 'int' | 'duration' | 'strings';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  short?: string;
  default: string;
}

export class UsageError extends Error {}

export interface Parsed {
  values: Map<string, string>;
  /** Flags given on the command line (pflag's Changed). */
  changed: Set<string>;
  args: string[];
}

export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const values = new Map(specs.map((s) => [s.name, s.default]));
  const changed = new Set<string>();
  const args: string[] = [];
  const set = (spec: FlagSpec, v: string) => {
    if (spec.kind === 'strings' && changed.has(spec.name)) values.set(spec.name, `${values.get(spec.name)},${v}`);
    else values.set(spec.name, v);
    changed.add(spec.name);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.kind === 'bool') set(spec, 'true');
      else if (i + 1 < argv.length) set(spec, argv[++i]!);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const c = a[1]!;
      const spec = byShort.get(c);
      if (!spec) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
      if (spec.kind === 'bool') set(spec, a.length > 2 && a[2] === '=' ? a.slice(3) : 'true');
      else if (a.length > 2) set(spec, a[2] === '=' ? a.slice(3) : a.slice(2));
      else if (i + 1 < argv.length) set(spec, argv[++i]!);
      else throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
      continue;
    }
    args.push(a);
  }
  return { values, changed, args };
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1;
    pos = 1;
  }
  if (pos >= text.length) throw new UsageError(`time: invalid duration "${text}"`);
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new UsageError(`time: invalid duration "${text}"`);
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return sign * total;
}

export function boolOf(p: Parsed, name: string): boolean {
  const v = p.values.get(name);
  if (v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True') return true;
  if (v === 'false' || v === '0' || v === 'f' || v === 'F' || v === 'FALSE' || v === 'False' || v === '') return false;
  throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export function intOf(p: Parsed, name: string): number {
  const v = p.values.get(name) ?? '0';
  if (!/^[-+]?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function strOf(p: Parsed, name: string): string {
  return p.values.get(name) ?? '';
}
