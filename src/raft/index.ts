// The Raft core's public surface.
export { RawNode, type RaftStatus, type ProgressStatus } from './rawnode.js';
export type { RaftConfig } from './raft.js';
export type { ReadOnlyOption } from './readonly.js';
export type { ProgressState } from './progress.js';
export { MemoryStorage, type RaftStorage } from './storage.js';
export {
  ProposalDroppedError,
  CompactedError,
  UnavailableError,
  SnapOutOfDateError,
  StepLocalMessageError,
  ErrCompacted,
  ErrUnavailable,
  ErrSnapOutOfDate,
} from './errors.js';
export {
  encodeMessage,
  decodeMessage,
  encodeEntry,
  decodeEntry,
  encodeConfChange,
  decodeConfChange,
  encodeHardState,
  decodeHardState,
  encodeSnapshot,
  decodeSnapshot,
  entryEncodedSize,
  messageEncodedSize,
  writeEntry,
  writeMessage,
  readMessage,
  readEntry,
  PbReader,
  PbWriter,
} from './codec.js';
export * from './types.js';
export { newMessage } from './util.js';
