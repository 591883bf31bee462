// Plain key-value traffic on a few keys: puts, linearizable and serializable reads,
// ranges over the prefix, deletes and compare-and-swap txns, at a low rate (kv-low,
// 50 req/s) or as fast as the clients go up to 1000 req/s (kv-high).
import { prefixEnd } from '../history.js';
import { MAX_REQUESTS_PER_CLIENT, RateLimiter, backoff, openClients, weighted, type Profile } from './common.js';

const KEYS = 8;

function kvProfile(name: string, clients: number, maxRate: number): Profile {
  return {
    name,
    async run(ctx) {
      const base = `${ctx.prefix}kv/`;
      const limiter = new RateLimiter(Math.min(ctx.rate, maxRate));
      const all = openClients(ctx, clients, 0);
      try {
        await Promise.all(
          all.map(async ({ client: c, rnd }) => {
            const seen = new Map<string, string | null>();
            for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !ctx.stopping(); n++) {
              await limiter.take();
              const key = `${base}k${rnd.int(0, KEYS - 1)}`;
              const kind = weighted(rnd, [['put', 30], ['get', 25], ['staleGet', 5], ['list', 10], ['delete', 10], ['cas', 20]] as const);
              let ok: boolean;
              switch (kind) {
                case 'put': {
                  const v = ctx.uniqueValue(c.id);
                  ok = (await c.put(key, v)) !== undefined;
                  if (ok) seen.set(key, v);
                  break;
                }
                case 'get':
                case 'staleGet': {
                  const res = await c.range(key, kind === 'staleGet' ? { serializable: true } : {});
                  if (res) seen.set(key, res.kvs?.[0]?.value ?? null);
                  ok = res !== undefined;
                  break;
                }
                case 'list':
                  ok = (await c.range(base, { end: prefixEnd(base) })) !== undefined;
                  break;
                case 'delete':
                  ok = (await c.delete(key)) !== undefined;
                  if (ok) seen.set(key, null);
                  break;
                case 'cas': {
                  const v = ctx.uniqueValue(c.id);
                  const res = await c.txn(key, { value: seen.get(key) ?? null }, { put: v });
                  if (res?.succeeded) seen.set(key, v);
                  else if (res) seen.set(key, res.kvs?.[0]?.value ?? null);
                  ok = res !== undefined;
                  break;
                }
              }
              await backoff(ok);
            }
          }),
        );
      } finally {
        for (const c of all) c.client.close();
      }
    },
  };
}

export const kvLow = kvProfile('kv-low', 3, 50);
export const kvHigh = kvProfile('kv-high', 8, 1000);
