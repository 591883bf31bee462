import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFrame } from '../../src/wal/format.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-wal-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic entry contents, so a replay can be checked byte for byte. */
export function payload(index: number, term = 1, size = 40 + (index % 23)): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (index * 31 + term * 7 + i) & 0xff;
  return b;
}

export function entry(index: number, term = 1, size?: number): Entry {
  return { index, term, type: EntryType.Normal, data: payload(index, term, size) };
}

export function entries(from: number, to: number, term = 1, size?: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}

/** Start offsets of the frames in a segment file, and where its data ends. */
export function frameOffsets(file: string): { offsets: number[]; end: number; buf: Buffer } {
  const buf = readFileSync(file);
  const offsets: number[] = [];
  let at = 0;
  for (let n = 0; n < 1_000_000; n++) {
    const f = checkFrame(buf, at);
    if (f.kind !== 'ok') break;
    offsets.push(at);
    at = f.next;
  }
  return { offsets, end: at, buf };
}
