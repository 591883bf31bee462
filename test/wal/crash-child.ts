// Child process for the kill -9 test: appends entries with many saves in flight
// and prints each index only after its save() resolved (written and fsynced).
// Every 400 entries it records a snapshot marker and releases old segments, so
// crashes also land around segment cuts and releases.
//
// usage: node crash-child.js <dir> <segmentSize>

import { Wal } from '../../src/wal/index.js';
import { entry } from './helpers.js';

const [dir, segArg] = process.argv.slice(2);
if (!dir || !segArg) throw new Error('usage: crash-child <dir> <segmentSize>');
const segmentSize = Number(segArg);
const IN_FLIGHT = 16;
// The parent kills us long before this; the bound keeps a lost child finite.
const MAX_ENTRIES = 200_000;

const opts = { segmentSize };
let wal: Wal;
let next: number;
if (Wal.exists(dir)) {
  const opened = await Wal.open(dir, opts);
  wal = opened.wal;
  next = (opened.replay.entries.at(-1)?.index ?? opened.replay.snapshot?.index ?? 0) + 1;
} else {
  wal = await Wal.create(dir, new Uint8Array([7, 7]), opts);
  next = 1;
}
process.stdout.write(`ready ${next}\n`);

let lastMarker = next - 1;
async function writer(): Promise<void> {
  while (next < MAX_ENTRIES) {
    const i = next++;
    // Sizes vary so frames straddle segment ends and page boundaries.
    await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, 20 + ((i * 37) % 700))]);
    process.stdout.write(`${i}\n`);
    if (i - lastMarker >= 400) {
      lastMarker = i;
      const snap = { index: i - 100, term: 1 };
      await wal.saveSnapshot(snap);
      await wal.releaseTo(snap.index);
      process.stdout.write(`snap ${snap.index}\n`);
    }
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
await wal.close();
