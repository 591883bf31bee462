// Failures the WAL reports to its host. Each one means "do not start on this
// data directory as is": the WAL never hands back a state it could not verify.

/** A record failed verification somewhere it cannot be a torn, unacknowledged tail. */
export class WalCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptError';
  }
}

/** Another live process (or another Wal in this process) holds the directory. */
export class WalLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`wal: directory ${dir} is locked by process ${pid}`);
    this.name = 'WalLockedError';
  }
}

/** open() was asked to start from a snapshot the WAL holds no marker for. */
export class WalSnapshotNotFoundError extends Error {
  constructor(
    readonly index: number,
    readonly term: number,
  ) {
    super(`wal: snapshot marker (index ${index}, term ${term}) not found`);
    this.name = 'WalSnapshotNotFoundError';
  }
}
