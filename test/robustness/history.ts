// What the robustness traffic records: every client request with its call and
// return times on one monotonic clock and what came back, and every watch stream
// with the responses it delivered. Keys and values are UTF-8 strings; every value a
// client writes is unique in the history, so a write can be found in the log.

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** The lease ID in hex; '0' for none. */
  lease: string;
}

export type Request =
  /** Range over [key, end) (end absent: the one key); revision 0 reads the latest. */
  | { type: 'range'; key: string; end?: string; revision?: number; serializable?: boolean; limit?: number }
  | { type: 'put'; key: string; value: string; lease?: string }
  | { type: 'delete'; key: string }
  /**
   * Txn on one key: if its mod revision is `modRevision` (0: absent), or its value is
   * `value` (null: absent), then put or delete it; else read it.
   */
  | { type: 'txn'; key: string; compare: { modRevision: number } | { value: string | null }; then: { put: string; lease?: string } | { delete: true } }
  | { type: 'leaseGrant'; ttl: number; id: string }
  | { type: 'leaseRevoke'; id: string }
  | { type: 'compact'; revision: number }
  /** v3lock: Lock(name) with the session's lease. */
  | { type: 'lock'; name: string; lease: string }
  | { type: 'unlock'; key: string }
  /** v3election: Campaign(name, value) with the session's lease. */
  | { type: 'campaign'; name: string; value: string; lease: string }
  | { type: 'resign'; leaderKey: string; leaderRev: number }
  | { type: 'leader'; name: string };

export interface Response {
  /** The response header's revision. */
  revision: number;
  kvs?: KeyValue[];
  more?: boolean;
  count?: number;
  succeeded?: boolean;
  deleted?: number;
  /** A lock's key, a campaign's leader key. */
  key?: string;
  /** A campaign's leader key revision. */
  keyRevision?: number;
}

export interface Op {
  client: number;
  call: number;
  /** Absent when the outcome is unknown (deadline, lost connection). */
  return?: number;
  req: Request;
  resp?: Response;
  /** The error the call failed with; with `return` set the call certainly had no effect. */
  error?: string;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  /** Receipt time on the history's clock. */
  time: number;
  revision: number;
  events: WatchEvent[];
  /** A progress notification: no events, neither created nor canceled. */
  progress: boolean;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason?: string;
}

export interface WatchRecord {
  client: number;
  /** Which member it watched. */
  endpoint: string;
  key: string;
  end?: string;
  /** The revision the watch started from (0: now). */
  startRevision: number;
  prevKv: boolean;
  filters: Array<'NOPUT' | 'NODELETE'>;
  progressNotify: boolean;
  /** When the request was sent. */
  call: number;
  responses: WatchResponse[];
  /** Why the stream ended, if it did before the history stopped. */
  ended?: string;
}

/** A whole recorded history. */
export interface History {
  ops: Op[];
  watches: WatchRecord[];
  /** The store's revision before any of the history's requests; its keys start empty there. */
  startRevision: number;
  /** Every key the history touches starts with this prefix. */
  prefix: string;
}

export const now = (): number => performance.now();

/** The first key after every key with this prefix (etcd's prefix range end); the traffic's keys are ASCII. */
export function prefixEnd(prefix: string): string {
  if (!/^[\x20-\x7e]+$/.test(prefix) || prefix.endsWith('~')) throw new Error(`prefix must be printable ASCII not ending in ~: ${JSON.stringify(prefix)}`);
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The key-value as the wire has it (proto-loader's camelCase and decimal strings). */
export function toKeyValue(kv: Record<string, any>): KeyValue {
  return {
    key: Buffer.from(kv.key).toString('utf8'),
    value: Buffer.from(kv.value ?? []).toString('utf8'),
    createRevision: Number(kv.createRevision),
    modRevision: Number(kv.modRevision),
    version: Number(kv.version),
    lease: BigInt(kv.lease ?? 0).toString(16),
  };
}

/** True when `key` is in [from, end) (end undefined: equal to from); ASCII keys sort as etcd's bytes do. */
export function inRange(key: string, from: string, end: string | undefined): boolean {
  if (end === undefined) return key === from;
  return key >= from && key < end;
}
