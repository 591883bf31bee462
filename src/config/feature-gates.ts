// etcd 3.6's server feature gates (--feature-gates=Name=true,...): the gates it
// knows, how their flag text is read, and the experimental flags each replaces.
import { goQuote, parseGoBool } from './go-values.js';

export type PreRelease = 'ALPHA' | 'BETA';

interface GateSpec {
  default: boolean;
  preRelease: PreRelease;
}

/** etcd 3.6's server gates, plus the generic AllAlpha/AllBeta toggles every gate set has. */
export const FEATURE_GATES: Readonly<Record<string, GateSpec>> = {
  AllAlpha: { default: false, preRelease: 'ALPHA' },
  AllBeta: { default: false, preRelease: 'BETA' },
  CompactHashCheck: { default: false, preRelease: 'ALPHA' },
  InitialCorruptCheck: { default: false, preRelease: 'ALPHA' },
  LeaseCheckpoint: { default: false, preRelease: 'ALPHA' },
  LeaseCheckpointPersist: { default: false, preRelease: 'ALPHA' },
  SetMemberLocalAddr: { default: false, preRelease: 'ALPHA' },
  StopGRPCServiceOnDefrag: { default: false, preRelease: 'ALPHA' },
  TxnModeWriteWithSharedBuffer: { default: true, preRelease: 'BETA' },
};

export type FeatureGateName = keyof typeof FEATURE_GATES;

/** Gates set explicitly, by name; a gate not in it has its default. */
export type FeatureGates = Readonly<Record<string, boolean>>;

/** etcd 3.6's ExperimentalFlagToFeatureMap: the boolean flags a gate took over. */
export const EXPERIMENTAL_FLAG_TO_FEATURE: Readonly<Record<string, string>> = {
  'experimental-stop-grpc-service-on-defrag': 'StopGRPCServiceOnDefrag',
  'experimental-initial-corrupt-check': 'InitialCorruptCheck',
  'experimental-compact-hash-check-enabled': 'CompactHashCheck',
  'experimental-txn-mode-write-with-shared-buffer': 'TxnModeWriteWithSharedBuffer',
  'experimental-enable-lease-checkpoint': 'LeaseCheckpoint',
  'experimental-enable-lease-checkpoint-persist': 'LeaseCheckpointPersist',
};

/** Gates etcd-ts accepts but whose feature it does not have yet. */
export const UNAVAILABLE_FEATURES: ReadonlySet<FeatureGateName> = new Set(['LeaseCheckpoint', 'LeaseCheckpointPersist', 'SetMemberLocalAddr', 'StopGRPCServiceOnDefrag']);

/** "Name=true|false (ALPHA - default=false)" lines, sorted, as --help lists them. */
export function knownFeatures(): string[] {
  return Object.entries(FEATURE_GATES)
    .map(([name, s]) => `${name}=true|false (${s.preRelease} - default=${s.default})`)
    .sort();
}

/**
 * Merges a --feature-gates value into the gates set so far, as etcd's featureGate.Set:
 * "k=v" pairs split on commas (empty ones skipped), values read as Go booleans, an unknown
 * name refused; AllAlpha/AllBeta set every gate of their stage not set explicitly.
 */
export function setFeatureGates(raw: string, current: FeatureGates): { value: FeatureGates } | { error: string } {
  const given = new Map<string, boolean>();
  for (const s of raw.split(',')) {
    if (s.length === 0) continue;
    const eq = s.indexOf('=');
    const k = (eq < 0 ? s : s.slice(0, eq)).trim();
    if (eq < 0) return { error: `missing bool value for ${k}` };
    const v = s.slice(eq + 1).trim();
    const b = parseGoBool(v);
    if (b === undefined) return { error: `invalid value of ${k}=${v}, err: strconv.ParseBool: parsing ${goQuote(v)}: invalid syntax` };
    given.set(k, b);
  }
  return setFeatureGatesFromMap(given, current);
}

/** etcd's SetFromMap: every name must be known; the result is a new set. */
export function setFeatureGatesFromMap(given: ReadonlyMap<string, boolean>, current: FeatureGates): { value: FeatureGates } | { error: string } {
  const enabled: Record<string, boolean> = { ...current };
  for (const [k, v] of given) {
    if (!Object.hasOwn(FEATURE_GATES, k)) return { error: `unrecognized feature gate: ${k}` };
    enabled[k] = v;
    if (k === 'AllAlpha' || k === 'AllBeta') {
      const stage: PreRelease = k === 'AllAlpha' ? 'ALPHA' : 'BETA';
      for (const [name, spec] of Object.entries(FEATURE_GATES)) {
        if (spec.preRelease === stage && !(name in enabled)) enabled[name] = v;
      }
    }
  }
  return { value: enabled };
}

export function featureEnabled(gates: FeatureGates, name: FeatureGateName): boolean {
  const spec = FEATURE_GATES[name];
  if (spec === undefined) throw new Error(`feature ${JSON.stringify(name)} is not registered`);
  return gates[name] ?? spec.default;
}

/** The gates as etcd's String(): "k=v" pairs of the explicitly set gates, sorted. */
export function featureGatesString(gates: FeatureGates): string {
  return Object.entries(gates)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}
