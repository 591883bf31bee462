// The traffic profiles by name.
import type { Profile } from './common.js';
import { kubernetes } from './kubernetes.js';
import { kvHigh, kvLow } from './kv.js';
import { leases } from './leases.js';
import { lockElection } from './lock-election.js';

export const PROFILES: Profile[] = [kubernetes, kvHigh, kvLow, leases, lockElection];

/** 'all' or comma-separated names. */
export function selectProfiles(spec: string): Profile[] {
  if (spec === 'all') return PROFILES;
  return spec.split(',').map((name) => {
    const p = PROFILES.find((x) => x.name === name.trim());
    if (!p) throw new Error(`unknown profile ${JSON.stringify(name)}; have all, ${PROFILES.map((x) => x.name).join(', ')}`);
    return p;
  });
}
