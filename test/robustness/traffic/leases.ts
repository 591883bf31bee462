// Lease traffic: grant short leases, attach keys to them, keep some alive, revoke
// some and let others expire (the leader then deletes their keys), and read the keys.
import { prefixEnd } from '../history.js';
import { MAX_REQUESTS_PER_CLIENT, RateLimiter, backoff, openClients, sleep, weighted, type Profile } from './common.js';

const CLIENTS = 4;
const KEYS = 6;

export const leases: Profile = {
  name: 'leases',
  async run(ctx) {
    const base = `${ctx.prefix}lease/`;
    const limiter = new RateLimiter(Math.min(ctx.rate, 200));
    const all = openClients(ctx, CLIENTS, 0);
    try {
      await Promise.all(
        all.map(async ({ client: c, rnd }) => {
          const mine: string[] = [];
          const keepAlive = c.conn.keepAlive();
          keepAlive.on('error', () => {});
          keepAlive.on('data', () => {});
          try {
            for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !ctx.stopping(); n++) {
              await limiter.take();
              const kind = mine.length === 0 ? 'grant' : weighted(rnd, [['grant', 15], ['put', 35], ['keepAlive', 15], ['revoke', 10], ['get', 20], ['list', 5]] as const);
              let ok = true;
              const key = `${base}k${rnd.int(0, KEYS - 1)}`;
              switch (kind) {
                case 'grant': {
                  const id = ctx.uniqueLeaseId();
                  ok = (await c.leaseGrant(id, rnd.int(1, 3))) !== undefined;
                  if (ok) mine.push(id);
                  if (mine.length > 3) mine.shift();
                  break;
                }
                case 'put':
                  ok = (await c.put(key, ctx.uniqueValue(c.id), rnd.pick(mine))) !== undefined;
                  break;
                case 'keepAlive':
                  keepAlive.write({ ID: BigInt('0x' + rnd.pick(mine)).toString() });
                  await sleep(5);
                  break;
                case 'revoke': {
                  const id = mine.splice(rnd.int(0, mine.length - 1), 1)[0]!;
                  ok = (await c.leaseRevoke(id)) !== undefined;
                  break;
                }
                case 'get':
                  ok = (await c.range(key)) !== undefined;
                  break;
                case 'list':
                  ok = (await c.range(base, { end: prefixEnd(base) })) !== undefined;
                  break;
              }
              await backoff(ok);
            }
          } finally {
            keepAlive.end();
            keepAlive.cancel();
          }
        }),
      );
    } finally {
      for (const c of all) c.client.close();
    }
  },
};
