// Fair queuing on a prefix, as clientv3/concurrency: a waiter whose key was
// created at revision R proceeds once every key under the prefix created before R
// is gone, waiting on the newest such key each time.
import type * as kv from '../pb/kv.js';
import { EventType } from '../pb/kv.js';
import { HubWatch } from './hub-watch.js';
import { lastCreateBefore, type CoordinationServer } from './kv.js';

/** Resolves when key is deleted at or after revision rev. */
export async function waitDelete(s: CoordinationServer, key: Uint8Array, rev: number, signal?: AbortSignal): Promise<void> {
  const w = new HubWatch(s.watchHub, { key, startRevision: rev }, signal);
  try {
    for (;;) {
      const r = await w.next();
      if (r.events.some((e) => e.type === EventType.DELETE)) return;
    }
  } finally {
    w.close();
  }
}

/** Waits until no key under prefix has a create revision ≤ maxCreateRev; returns the last read's header. */
export async function waitDeletes(s: CoordinationServer, prefix: Uint8Array, maxCreateRev: number, signal?: AbortSignal): Promise<kv.ResponseHeader> {
  for (;;) {
    const resp = await s.range(lastCreateBefore(prefix, maxCreateRev));
    if (resp.kvs.length === 0) return resp.header!;
    signal?.throwIfAborted();
    await waitDelete(s, resp.kvs[0].key, resp.header!.revision, signal);
  }
}
