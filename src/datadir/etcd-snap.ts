// etcd's snapshot files, member/snap/<term>-<index>.snap (etcd's snap package): a
// snappb.Snapshot {crc, data} whose data is the raftpb.Snapshot (the v2 store with the
// membership, and the metadata: index, term, conf state) and whose crc is the CRC-32C
// of that data. etcd 3.4 rebuilds its member list from it when it starts.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../pkg/crc32c.js';
import { PbReader, PbWriter, decodeSnapshot, encodeSnapshot } from '../raft/codec.js';
import type { Snapshot } from '../raft/types.js';
import { EtcdDataDirError } from './errors.js';

const hex16 = (n: number) => n.toString(16).padStart(16, '0');

export function snapFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

/** Reads and checks the .snap file etcd wrote for the WAL's snapshot at (index, term). */
export function readEtcdSnap(snapDir: string, index: number, term: number): Snapshot {
  const file = join(snapDir, snapFileName(term, index));
  if (!existsSync(file)) throw new EtcdDataDirError(file, `missing: the WAL's newest snapshot record (index ${index}, term ${term}) points at it`);
  const buf = readFileSync(file);
  if (buf.length === 0) throw new EtcdDataDirError(file, 'empty snapshot file');
  let crc = 0;
  let data: Uint8Array | undefined;
  try {
    const r = new PbReader(buf);
    while (!r.done()) {
      const tag = r.tag();
      if (tag === 0x08) crc = r.uvarint();
      else if (tag === 0x12) data = r.bytes();
      else r.skip(tag & 7);
    }
  } catch (err) {
    throw new EtcdDataDirError(file, `corrupt snapshot file: ${(err as Error).message}`);
  }
  if (!data) throw new EtcdDataDirError(file, 'snapshot file without data');
  if (crc32c(data) !== crc) throw new EtcdDataDirError(file, 'CRC mismatch in the snapshot file');
  let snap: Snapshot;
  try {
    snap = decodeSnapshot(data);
  } catch (err) {
    throw new EtcdDataDirError(file, `corrupt raftpb snapshot: ${(err as Error).message}`);
  }
  if (snap.metadata.index !== index || snap.metadata.term !== term) {
    throw new EtcdDataDirError(file, `holds the snapshot at index ${snap.metadata.index}, term ${snap.metadata.term}, not the one its name says`);
  }
  return snap;
}

/** Writes `<snapDir>/<term>-<index>.snap` as etcd's snapshotter does (a temporary file, fsynced, renamed). */
export function writeEtcdSnap(snapDir: string, snap: Snapshot): string {
  const data = encodeSnapshot(snap);
  const w = new PbWriter(new Uint8Array(data.length + 16));
  w.tag(1, 0);
  w.uvarint(crc32c(data));
  w.bytes(2, data);
  const file = join(snapDir, snapFileName(snap.metadata.term, snap.metadata.index));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const out = w.buf.subarray(0, w.pos);
    for (let at = 0; at < out.length; ) at += writeSync(fd, out, at, out.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return file;
}
