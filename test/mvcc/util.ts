// Shared helpers for the storage tests: byte keys and temp LMDB directories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const s = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Deterministic PRNG so a failing seed can be replayed. */
export { mulberry32 as rng } from '../helpers/rng.js';
