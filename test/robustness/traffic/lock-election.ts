// v3lock and v3election traffic: sessions (a lease kept alive) that take a lock,
// write under it and unlock; campaign, ask who leads, and resign. What each
// Lock, Campaign and Leader answered is checked against the store at the
// answer's revision (validate/lock.ts).
import { MAX_REQUESTS_PER_CLIENT, backoff, openClients, sleep, type Profile } from './common.js';

const LOCKERS = 3;
const CANDIDATES = 3;
const SESSION_TTL = 3;

export const lockElection: Profile = {
  name: 'lock-election',
  async run(ctx) {
    const lockName = `${ctx.prefix}lock/mutex`;
    const electionName = `${ctx.prefix}election/e`;
    const all = openClients(ctx, LOCKERS + CANDIDATES, 0);
    try {
      await Promise.all(
        all.map(async ({ client: c, rnd }, i) => {
          const locker = i < LOCKERS;
          for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !ctx.stopping(); n++) {
            // A session: a lease kept alive while this client holds or waits.
            const lease = ctx.uniqueLeaseId();
            if (!(await c.leaseGrant(lease, SESSION_TTL))) {
              await backoff(false);
              continue;
            }
            const ka = c.conn.keepAlive();
            ka.on('error', () => {});
            ka.on('data', () => {});
            const beat = setInterval(() => ka.write({ ID: BigInt('0x' + lease).toString() }), 500);
            try {
              if (locker) {
                const got = await c.lock(lockName, lease, 3000);
                if (got?.key) {
                  await c.put(`${ctx.prefix}lock/data`, ctx.uniqueValue(c.id));
                  await sleep(rnd.int(5, 60));
                  await c.unlock(got.key);
                }
              } else {
                const won = await c.campaign(electionName, ctx.uniqueValue(c.id), lease, 3000);
                await c.leader(electionName);
                if (won?.key) {
                  await sleep(rnd.int(5, 60));
                  await c.resign(won.key, won.keyRevision ?? 0, electionName, lease);
                }
              }
            } finally {
              clearInterval(beat);
              ka.end();
              ka.cancel();
            }
            await c.leaseRevoke(lease);
          }
        }),
      );
    } finally {
      for (const c of all) c.client.close();
    }
  },
};
