// kube-apiserver's calls on one resource (/registry/pods/): reflectors that List and
// then Watch from the list's revision (prev_kv, progress notifications, asking for
// progress while idle, re-listing when the watch breaks); readers doing Get, Get at
// a revision and stale (serializable) List and Get; writers whose updates are Txns
// guarded by the object's mod revision (90%), creates guarded by absence (5%) and
// guarded deletes (5%); some objects on a lease shared by many writes; compaction as
// the apiserver does it, through a Txn on compact_rev_key, then Compact.
import type { Response } from '../history.js';
import { prefixEnd } from '../history.js';
import { MAX_REQUESTS_PER_CLIENT, RateLimiter, backoff, openClients, sleep, weighted, type Profile, type TrafficContext } from './common.js';
import type { TrafficClient } from '../client.js';
import type { Random } from '../../chaos/random.js';

const OBJECTS = 10;
const WRITERS = 3;
const READERS = 2;
const REFLECTORS = 2;

export const kubernetes: Profile = {
  name: 'kubernetes',
  async run(ctx) {
    const pods = `${ctx.prefix}registry/pods/default/`;
    const limiter = new RateLimiter(ctx.rate);
    const clients = openClients(ctx, WRITERS + READERS + REFLECTORS + 1, 0);
    const writers = clients.slice(0, WRITERS);
    const readers = clients.slice(WRITERS, WRITERS + READERS);
    const reflectors = clients.slice(WRITERS + READERS, WRITERS + READERS + REFLECTORS);
    const compactor = clients[clients.length - 1]!;
    // Leases are reused: one, granted first, carries a share of the objects (as events do).
    const lease = ctx.uniqueLeaseId();
    const granted = (await compactor.client.leaseGrant(lease, 600)) !== undefined;
    try {
      await Promise.all([
        ...writers.map((w) => writer(ctx, w.client, w.rnd, pods, limiter, granted ? lease : undefined)),
        ...readers.map((r) => reader(ctx, r.client, r.rnd, pods, limiter)),
        ...reflectors.map((r) => reflector(ctx, r.client, pods)),
        compactLoop(ctx, compactor.client),
      ]);
    } finally {
      for (const c of clients) c.client.close();
    }
  },
};

function objectKey(pods: string, rnd: Random): string {
  return `${pods}pod-${rnd.int(0, OBJECTS - 1)}`;
}

/** Mod revisions this writer last saw, as an apiserver's cache would hold them. */
function remember(cache: Map<string, number>, res: Response | undefined, key?: string): void {
  for (const kv of res?.kvs ?? []) cache.set(kv.key, kv.modRevision);
  if (key !== undefined && res?.kvs?.length === 0) cache.set(key, 0);
}

async function writer(ctx: TrafficContext, c: TrafficClient, rnd: Random, pods: string, limiter: RateLimiter, lease: string | undefined): Promise<void> {
  const cache = new Map<string, number>();
  for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !ctx.stopping(); n++) {
    await limiter.take();
    const key = objectKey(pods, rnd);
    const known = cache.get(key);
    if (known === undefined) {
      const res = await c.range(key);
      remember(cache, res, key);
      await backoff(res !== undefined);
      continue;
    }
    const kind = weighted(rnd, [['update', 90], ['create', 5], ['delete', 5]] as const);
    let res: Response | undefined;
    if (kind === 'create' || known === 0) {
      res = await c.txn(key, { modRevision: 0 }, { put: ctx.uniqueValue(c.id), ...(lease && rnd.next() < 0.3 ? { lease } : {}) });
    } else if (kind === 'update') {
      res = await c.txn(key, { modRevision: known }, { put: ctx.uniqueValue(c.id) });
    } else {
      res = await c.txn(key, { modRevision: known }, { delete: true });
    }
    if (res?.succeeded) cache.set(key, kind === 'delete' && known !== 0 ? 0 : res.revision);
    else if (res) remember(cache, res, key);
    else cache.delete(key);
    await backoff(res !== undefined);
  }
}

async function reader(ctx: TrafficContext, c: TrafficClient, rnd: Random, pods: string, limiter: RateLimiter): Promise<void> {
  let lastRevision = 0;
  for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !ctx.stopping(); n++) {
    await limiter.take();
    const kind = weighted(rnd, [['list', 35], ['get', 30], ['getAtRevision', 15], ['staleList', 10], ['staleGet', 10]] as const);
    let res: Response | undefined;
    switch (kind) {
      case 'list':
        res = await c.range(pods, { end: prefixEnd(pods), ...(rnd.next() < 0.3 ? { limit: 3 } : {}) });
        break;
      case 'get':
        res = await c.range(objectKey(pods, rnd));
        break;
      case 'getAtRevision':
        // The apiserver serves a resourceVersion it has seen; an older one may be compacted.
        res = lastRevision > 0 ? await c.range(objectKey(pods, rnd), { revision: rnd.int(Math.max(1, lastRevision - 20), lastRevision) }) : await c.range(objectKey(pods, rnd));
        break;
      case 'staleList':
        res = await c.range(pods, { end: prefixEnd(pods), serializable: true });
        break;
      case 'staleGet':
        res = await c.range(objectKey(pods, rnd), { serializable: true });
        break;
    }
    if (res) lastRevision = Math.max(lastRevision, res.revision);
    await backoff(res !== undefined || kind === 'getAtRevision');
  }
}

/** List, then Watch from the list's revision + 1; asks for progress while idle; lists again when the watch breaks. */
async function reflector(ctx: TrafficContext, c: TrafficClient, pods: string): Promise<void> {
  for (let round = 0; round < 100 && !ctx.stopping(); round++) {
    const list = await c.range(pods, { end: prefixEnd(pods) });
    if (!list) {
      await sleep(200);
      continue;
    }
    const w = c.watch({ key: pods, end: prefixEnd(pods), startRevision: list.revision + 1, prevKv: true, progressNotify: true });
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && !ctx.stopping() && !w.ended; i++) {
      const before = w.record.responses.length;
      await w.next(250);
      if (w.record.responses.length === before) w.requestProgress();
    }
    await w.stop();
  }
}

/** kube-apiserver's compaction: a Txn on compact_rev_key guarded by its version, then Compact. */
async function compactLoop(ctx: TrafficContext, c: TrafficClient): Promise<void> {
  const key = `${ctx.prefix}compact_rev_key`;
  let known = 0;
  let last = 0;
  for (let n = 0; n < 1000 && !ctx.stopping(); n++) {
    await sleep(400);
    const target = ctx.safeCompactRevision();
    if (target <= last) continue;
    const res = await c.txn(key, { modRevision: known }, { put: ctx.uniqueValue(c.id) });
    if (!res) continue;
    if (!res.succeeded) {
      known = res.kvs?.[0]?.modRevision ?? 0;
      continue;
    }
    known = res.revision;
    if (await c.compact(target)) last = target;
  }
}
