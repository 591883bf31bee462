// gRPC codes as etcd 3.4's grpc-gateway turns them into HTTP statuses and JSON errors.
import { STATUS_CODES } from 'node:http';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';

const HTTP_STATUS: Record<number, number> = {
  0: 200, // OK
  1: 408, // Canceled
  2: 500, // Unknown
  3: 400, // InvalidArgument
  4: 504, // DeadlineExceeded
  5: 404, // NotFound
  6: 409, // AlreadyExists
  7: 403, // PermissionDenied
  8: 429, // ResourceExhausted
  9: 412, // FailedPrecondition
  10: 409, // Aborted
  11: 400, // OutOfRange
  12: 501, // Unimplemented
  13: 500, // Internal
  14: 503, // Unavailable
  15: 500, // DataLoss
  16: 401, // Unauthenticated
};

export function httpStatusOf(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}

export function grpcErrorOf(err: unknown): { code: number; message: string } {
  if (err instanceof EtcdError) return { code: err.code, message: err.message };
  return { code: GrpcCode.Unknown, message: err instanceof Error ? err.message : String(err) };
}

/** The body of a failed unary call. */
export function errorBody(code: number, message: string): string {
  return JSON.stringify({ error: message, message, code });
}

/** A stream's failure after its first result, as the gateway's stream handler writes it. */
export function streamErrorBody(code: number, message: string): string {
  const http = httpStatusOf(code);
  return JSON.stringify({ error: { grpc_code: code, http_code: http, message, http_status: STATUS_CODES[http] ?? '' } });
}
