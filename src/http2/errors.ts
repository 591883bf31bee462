// A connection error (RFC 9113 §5.4.1): thrown while reading input, answered
// with GOAWAY carrying the code, after which the connection is closed.
import type { ErrorCode } from './constants.js';

export class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
