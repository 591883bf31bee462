// etcdctl's exit codes and its "Error: …" ending.
export enum ExitCode {
  Success = 0,
  Error = 1,
  BadConnection = 2,
  InvalidInput = 3,
  BadFeature = 4,
  Interrupted = 5,
  IO = 6,
  BadArgs = 128,
}

/** Ends the command: prints "Error: <message>" to stderr and exits with `code`. */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}
