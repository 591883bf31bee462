// Release numbers as etcd writes them ("3.6.14"): parsed, compared, and cut to the
// major.minor that etcd's cluster and storage versions keep.

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** A plain MAJOR.MINOR.PATCH; anything else (a "v" prefix, a pre-release) is undefined. */
export function parseSemver(text: string): Semver | undefined {
  const m = SEMVER.exec(text);
  if (m === null) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return { major, minor, patch };
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** etcd's cluster and storage versions keep only major.minor ("3.6.0" for 3.6.14). */
export function minorOf(v: Semver): Semver {
  return { major: v.major, minor: v.minor, patch: 0 };
}

/** etcd's version.Cluster: "3.6.0" → "3.6". */
export function majorMinorText(v: Semver): string {
  return `${v.major}.${v.minor}`;
}

const IDENTIFIER = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const GO_INT = /^\d+$/;

/**
 * What etcd's semver library (coreos/go-semver) accepts: MAJOR.MINOR.PATCH with an optional
 * "-pre.release" and "+metadata", each number decimal (leading zeros allowed).
 */
export function parseGoSemver(text: string): Semver | undefined {
  let rest = text;
  let metadata = '';
  let pre = '';
  const plus = rest.indexOf('+');
  if (plus >= 0) [rest, metadata] = [rest.slice(0, plus), rest.slice(plus + 1)];
  const dash = rest.indexOf('-');
  if (dash >= 0) [rest, pre] = [rest.slice(0, dash), rest.slice(dash + 1)];
  const parts = rest.split('.');
  const dotted = parts.length < 3 ? parts : [parts[0], parts[1], parts.slice(2).join('.')];
  if (dotted.length !== 3) return undefined;
  if ((pre !== '' && !IDENTIFIER.test(pre)) || (metadata !== '' && !IDENTIFIER.test(metadata))) return undefined;
  if (!dotted.every((p) => GO_INT.test(p))) return undefined;
  const [major, minor, patch] = dotted.map(Number);
  if (![major, minor, patch].every((n) => Number.isSafeInteger(n))) return undefined;
  return { major, minor, patch };
}

/**
 * A cluster or downgrade version as etcd's API takes it: a semver or MAJOR.MINOR, cut to
 * major.minor (etcd's convertToClusterVersion).
 */
export function parseClusterVersion(text: string): Semver | undefined {
  const v = parseGoSemver(text) ?? parseGoSemver(`${text}.0`);
  return v === undefined ? undefined : minorOf(v);
}
