// Walks the frames of one segment and decides what a bad frame means. Only the
// last segment can have a torn tail: a bad or short frame there, with no frame
// that verifies anywhere after it, is the unacknowledged remainder of a write
// cut short by a crash, and is reported for repair. Any other bad frame, or any
// verified frame after the end of the data, is corruption.
//
// Probing for later frames starts right after the bad frame's header, not at
// the end its length word claims: the length itself may be the corrupted part,
// and trusting it could pass over acknowledged records and discard them.

import { WalCorruptError } from './errors.js';
import { allZeroFrom, anyValidFrameFrom, checkFrame, decodeSegmentHeader, FRAME_HEADER, RecordType, type DecodedSegmentHeader } from './format.js';

export interface SegmentScan {
  header: DecodedSegmentHeader;
  /** Offset just past the last good frame: where appends continue. */
  end: number;
  /** CRC of the last good frame, the link the next segment's header must carry. */
  lastCrc: number;
  /** Set when a torn tail follows `end` and must be cut off before appending. */
  torn?: string;
}

/** Called for each verified frame after the segment header. */
export type FrameVisitor = (type: RecordType, buf: Buffer, start: number, end: number, offset: number) => void;

export function scanSegment(file: string, buf: Buffer, isLast: boolean, visit: FrameVisitor): SegmentScan {
  // Segments are created with their header under a temporary name, so even the
  // last one must start with a good header.
  const first = checkFrame(buf, 0);
  if (first.kind !== 'ok') throw new WalCorruptError(file, 0, first.kind === 'end' ? 'empty segment' : first.reason);
  if (first.type !== RecordType.SegmentHeader) throw new WalCorruptError(file, 0, 'segment does not start with a header');
  const header = decoded(file, 0, () => decodeSegmentHeader(buf, first.payloadStart, first.payloadEnd));
  let at = first.next;
  let lastCrc = first.crc;
  for (;;) {
    const f = checkFrame(buf, at);
    if (f.kind === 'ok') {
      if (f.type === RecordType.SegmentHeader) throw new WalCorruptError(file, at, 'segment header inside a segment');
      const frameAt = at;
      decoded(file, frameAt, () => visit(f.type, buf, f.payloadStart, f.payloadEnd, frameAt));
      lastCrc = f.crc;
      at = f.next;
      continue;
    }
    const later = anyValidFrameFrom(buf, at + FRAME_HEADER);
    if (f.kind === 'end') {
      if (later) throw new WalCorruptError(file, at, 'valid records after the end of the data');
      // Leftover bytes past the end of the last segment are zeroed too, so they
      // cannot show up as damage once the segment is no longer the last one.
      if (isLast && !allZeroFrom(buf, at)) return { header, end: at, lastCrc, torn: 'garbage after the end of the data' };
      return { header, end: at, lastCrc };
    }
    if (!isLast) throw new WalCorruptError(file, at, f.reason);
    if (later) throw new WalCorruptError(file, at, `${f.reason}, followed by valid records`);
    return { header, end: at, lastCrc, torn: f.reason };
  }
}

/** A frame that verified but does not decode is corruption, never a torn write. */
function decoded<T>(file: string, offset: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WalCorruptError) throw err;
    if (err instanceof RangeError) throw new WalCorruptError(file, offset, err.message);
    throw err;
  }
}
