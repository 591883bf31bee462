// The messages between an edge thread's RemotePort and the core's PortHost. They
// travel by structured clone (bigints and byte arrays included), a turn's worth
// at a time (link.ts).
import { Errors, EtcdError } from '../rpctypes/errors.js';
import type { MemberPort } from './member-port.js';

/** Port methods answered once, by value. Streams (watch, observe) and files (snapshot) have messages of their own. */
export type CallMethod = Exclude<keyof MemberPort, 'openWatch' | 'observe' | 'snapshot'>;

/** Methods whose last argument is an AbortSignal: the edge sends an abort instead. */
export const SIGNALLED = new Set<string>(['lock', 'campaign']);

/** 'ack' n: the edge handed n more responses to a stream that has room (see remote.ts's flow control). */
export type WatchOp = 'open' | 'watch' | 'cancel' | 'progress' | 'ack' | 'close';

export type EdgeMessage =
  | { t: 'call'; id: number; method: CallMethod; args: unknown[] }
  | { t: 'observe'; id: number; args: unknown[] }
  | { t: 'snapshot'; id: number; args: unknown[] }
  | { t: 'abort'; id: number }
  | { t: 'release'; id: number }
  | { t: 'watch'; stream: number; op: WatchOp; arg?: unknown }
  | { t: 'metrics'; id: number; json: unknown[] }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> };

export type CoreMessage =
  | { t: 'ok'; id: number; value: unknown }
  | { t: 'err'; id: number; error: WireError }
  | { t: 'item'; id: number; value: unknown }
  | { t: 'metrics?'; id: number };

export interface WireError {
  code?: number;
  message: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof EtcdError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

const KNOWN = new Map<string, EtcdError>();
for (const e of Object.values(Errors)) if (!KNOWN.has(`${e.code}:${e.message}`)) KNOWN.set(`${e.code}:${e.message}`, e);

/** The error as the edge sees it: etcd's shared instance where there is one, so identity checks keep working. */
export function fromWireError(w: WireError): Error {
  if (w.code === undefined) return new Error(w.message);
  return KNOWN.get(`${w.code}:${w.message}`) ?? new EtcdError(w.code, w.message);
}
