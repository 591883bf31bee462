import { setFeatureGates, type FeatureGates } from './feature-gates.js';
import { goQuote, parseEtcdUrl, parseGoBool, parseGoDuration, parseGoInteger } from './go-values.js';

// How a flag's text becomes a typed value, mirroring the Go flag.Value etcd registers for it.
export type FlagKind =
  | { t: 'string' }
  | { t: 'bool' }
  | { t: 'uint' }
  | { t: 'int' }
  | { t: 'uint32' }
  | { t: 'duration' }
  | { t: 'urls' }
  | { t: 'cors' }
  | { t: 'strings' }
  | { t: 'unique-strings' }
  | { t: 'choice'; choices: readonly string[] }
  /** Comma-separated, each one of `choices`; kept sorted (etcd's SelectiveStringsValue). */
  | { t: 'choices'; choices: readonly string[] }
  | { t: 'feature-gates' }
  | { t: 'ignored' };

export type SetResult = { value: unknown } | { error: string };

// Integers beyond this cannot be held exactly in a number; etcd's own limits are far below it.
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function integer(raw: string, signed: boolean, bits: number): SetResult {
  const r = parseGoInteger(raw, signed, bits);
  if ('error' in r) return { error: r.error === 'range' ? 'value out of range' : 'parse error' };
  if (r.value > MAX_EXACT || r.value < -MAX_EXACT) return { error: 'value out of range' };
  return { value: Number(r.value) };
}

export function isBoolKind(kind: FlagKind): boolean {
  return kind.t === 'bool' || kind.t === 'ignored';
}

/** Parses one flag value; `current` is the flag's value so far (some kinds merge into it). */
export function setFlagValue(kind: FlagKind, raw: string, current: unknown): SetResult {
  switch (kind.t) {
    case 'string':
    case 'ignored':
      return { value: raw };
    case 'bool': {
      const b = parseGoBool(raw);
      return b === undefined ? { error: 'parse error' } : { value: b };
    }
    case 'uint':
      return integer(raw, false, 64);
    case 'int':
      return integer(raw, true, 64);
    case 'uint32': {
      // etcd's own uint32 flag value reports strconv's error text rather than flag's "parse error".
      const r = parseGoInteger(raw, false, 32);
      if ('error' in r) {
        const why = r.error === 'range' ? 'value out of range' : 'invalid syntax';
        return { error: `strconv.ParseUint: parsing ${goQuote(raw)}: ${why}` };
      }
      return { value: Number(r.value) };
    }
    case 'duration': {
      const ms = parseGoDuration(raw);
      return ms === undefined ? { error: 'parse error' } : { value: ms };
    }
    case 'urls': {
      // etcd allows an empty value and keeps what the flag held before.
      if (raw === '') return { value: current };
      return urlList(raw);
    }
    case 'cors': {
      if (raw === '*') return { value: [...new Set([...(current as string[]), '*'])].sort() };
      const r = urlList(raw);
      if ('error' in r) return r;
      return { value: [...new Set(raw.split(',').map((part) => part.trim()))].sort() };
    }
    case 'strings':
      return { value: raw.split(',') };
    case 'unique-strings':
      return { value: [...new Set(raw.split(','))].sort() };
    case 'choice':
      return kind.choices.includes(raw) ? { value: raw } : { error: 'invalid value' };
    case 'choices': {
      const vs = raw.split(',');
      const bad = vs.find((v) => !kind.choices.includes(v));
      if (bad !== undefined) return { error: `invalid value ${goQuote(bad)}` };
      return { value: vs.sort().join(',') };
    }
    case 'feature-gates':
      return setFeatureGates(raw, current as FeatureGates);
  }
}

/** A comma-separated URL list, validated like etcd, de-duplicated and sorted as etcd does. */
export function urlList(raw: string): SetResult {
  const byText = new Map<string, URL>();
  for (const part of raw.split(',')) {
    const r = parseEtcdUrl(part);
    if ('error' in r) return { error: r.error };
    byText.set(r.url.href, r.url);
  }
  return { value: [...byText.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, u]) => u) };
}
