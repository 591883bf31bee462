// Keys of the meta bucket, spelled as etcd 3.4 spells them so etcd-format snapshots carry over.
import type { Backend } from '../backend/backend.js';
import { bytesToRev, readUint64, revToBytes, writeUint64 } from './revision.js';

export const META_CONSISTENT_INDEX = Buffer.from('consistent_index');
export const META_SCHEDULED_COMPACT = Buffer.from('scheduledCompactRev');
export const META_FINISHED_COMPACT = Buffer.from('finishedCompactRev');

/** The main revision stored under key, or undefined if none was ever stored. */
export function readRevMeta(b: Backend, key: Buffer): number | undefined {
  const v = b.get('meta', key);
  return v === undefined ? undefined : bytesToRev(v).main;
}

export function writeRevMeta(b: Backend, key: Buffer, main: number): void {
  b.put('meta', key, revToBytes(main, 0));
}

export function readConsistentIndex(b: Backend): number {
  const v = b.get('meta', META_CONSISTENT_INDEX);
  return v === undefined ? 0 : readUint64(v, 0);
}

export function writeConsistentIndex(b: Backend, index: number): void {
  const v = Buffer.allocUnsafe(8);
  writeUint64(v, 0, index);
  b.put('meta', META_CONSISTENT_INDEX, v);
}
