// clientv3/concurrency's waitDeletes: the wait behind a lock or a campaign, until
// every key on a prefix created before ours is deleted.
import type { Client } from '../../../client/client.js';
import type { ResponseHeader } from '../../../pb/kv.js';
import { EventType } from '../../../pb/kv.js';

/** A cancelled wait ends as clientv3's does, with the context's error. */
export const contextCanceled = () => new Error('context canceled');

/** Waits for a DELETE of `key` at or after `rev`. */
async function waitDelete(client: Client, key: Uint8Array, rev: number, signal: AbortSignal): Promise<void> {
  const watcher = client.watch(key, { startRevision: rev, signal });
  try {
    for await (const r of watcher) if (r.events.some((e) => e.type === EventType.DELETE)) return;
  } finally {
    await watcher.cancel();
  }
  if (signal.aborted) throw contextCanceled();
  throw new Error('lost watcher waiting for delete');
}

/** Until no key under `pfx` has a create revision at or below `maxCreateRev`; the header of the last read. */
export async function waitDeletes(client: Client, pfx: string, maxCreateRev: number, signal: AbortSignal): Promise<ResponseHeader | undefined> {
  for (;;) {
    const r = await client.kv.get(pfx, { prefix: true, sortTarget: 'create', sortOrder: 'descend', limit: 1, maxCreateRevision: maxCreateRev, signal });
    const last = r.kvs[0];
    if (last === undefined) return r.header;
    await waitDelete(client, last.key, r.header?.revision ?? 0, signal);
  }
}
