// member list/add/remove/update/promote and endpoint health/status/hashkv.
import type { Client } from '../../../client/client.js';
import { CliExit, ExitCode } from '../exit.js';
import { goDuration, goQuote } from '../format.js';
import { errorText, fail, type Ctx } from '../context.js';
import type { EpHashKV, EpHealth, EpStatus } from '../display.js';

function memberId(text: string | undefined): bigint {
  if (text === undefined) throw new CliExit(ExitCode.BadArgs, 'member ID is not provided');
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new CliExit(ExitCode.BadArgs, `bad member ID arg (strconv.ParseUint: parsing "${text}": invalid syntax), expecting ID in Hex`);
  return BigInt('0x' + text);
}

export async function member(c: Ctx): Promise<void> {
  const [sub, ...rest] = c.args;
  switch (sub) {
    case 'list': {
      const cli = await c.client();
      // etcdctl 3.4 sends no linearizable field.
      const r = await cli.cluster.memberList({ ...c.timeout(), serializable: true }).catch((e) => fail(e));
      return c.display.memberList(r);
    }
    case 'add': {
      if (rest.length < 1) throw new CliExit(ExitCode.BadArgs, 'member name not provided');
      if (rest.length > 1) throw new CliExit(ExitCode.BadArgs, `too many arguments, did you mean --peer-urls=${rest[1]}`);
      const name = rest[0]!;
      const urls = c.str('peer-urls');
      if (urls === '') throw new CliExit(ExitCode.BadArgs, 'member peer urls not provided');
      const peerURLs = urls.split(',');
      const cli = await c.client();
      const r = await cli.cluster.memberAdd(peerURLs, { isLearner: c.bool('learner'), ...c.timeout() }).catch((e) => fail(e));
      const id = r.member?.ID ?? 0n;
      c.display.memberChange('added to', id, 'etcdserverpb.MemberAddResponse', r);
      if (c.display.format !== 'simple') return;
      const conf: string[] = [];
      for (const m of r.members) for (const u of m.peerURLs) conf.push(`${m.ID === id ? name : m.name}=${u}`);
      c.io.out(`\nETCD_NAME=${goQuote(name)}\nETCD_INITIAL_CLUSTER=${goQuote(conf.join(','))}\nETCD_INITIAL_ADVERTISE_PEER_URLS=${goQuote(urls)}\nETCD_INITIAL_CLUSTER_STATE="existing"\n`);
      return;
    }
    case 'remove': {
      const id = memberId(rest[0]);
      const cli = await c.client();
      const r = await cli.cluster.memberRemove(id, c.timeout()).catch((e) => fail(e));
      return c.display.memberChange('removed from', id, 'etcdserverpb.MemberRemoveResponse', r);
    }
    case 'update': {
      const id = memberId(rest[0]);
      const urls = c.str('peer-urls');
      if (urls === '') throw new CliExit(ExitCode.BadArgs, 'member peer urls not provided');
      const cli = await c.client();
      const r = await cli.cluster.memberUpdate(id, urls.split(','), c.timeout()).catch((e) => fail(e));
      return c.display.memberChange('updated in', id, 'etcdserverpb.MemberUpdateResponse', r);
    }
    case 'promote': {
      const id = memberId(rest[0]);
      const cli = await c.client();
      const r = await cli.cluster.memberPromote(id, c.timeout()).catch((e) => fail(e));
      return c.display.memberChange('promoted in', id, 'etcdserverpb.MemberPromoteResponse', r);
    }
    default:
      throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl member"`);
  }
}

/** --endpoints, or with --cluster every client URL of the member list. */
export async function endpointsFromCluster(c: Ctx): Promise<string[]> {
  if (!c.bool('cluster')) return c.endpoints();
  const cli = await c.client(c.endpoints(), false);
  const r = await cli.cluster.memberList({ ...c.timeout(), serializable: true }).catch((e) => fail(e, ExitCode.Error, (m) => `failed to fetch endpoints from etcd cluster member list: ${m}`));
  return r.members.flatMap((m) => m.clientURLs);
}

/** Status and hashkv dial each endpoint directly, as clientv3's Maintenance(ep) does. */
async function perEndpoint<T>(c: Ctx, ep: string, run: (cli: Client) => Promise<T>, direct = false): Promise<T> {
  const cli = await c.client([ep], true, direct);
  return run(cli);
}

export async function endpoint(c: Ctx): Promise<void> {
  const [sub] = c.args;
  const eps = await endpointsFromCluster(c);
  switch (sub) {
    case 'health': {
      const list: EpHealth[] = await Promise.all(
        eps.map(async (ep) => {
          const start = process.hrtime.bigint();
          try {
            await perEndpoint(c, ep, (cli) => cli.kv.get('health', c.timeout()));
            return { ep, health: true, took: goDuration(Number(process.hrtime.bigint() - start)), error: '' };
          } catch (err) {
            const msg = errorText(err);
            if (msg === 'etcdserver: permission denied') return { ep, health: true, took: goDuration(Number(process.hrtime.bigint() - start)), error: '' };
            return { ep, health: false, took: goDuration(Number(process.hrtime.bigint() - start)), error: msg };
          }
        }),
      );
      c.display.endpointHealth(list);
      if (list.some((h) => h.error !== '')) throw new CliExit(ExitCode.Error, 'unhealthy cluster');
      return;
    }
    case 'status': {
      const list: EpStatus[] = [];
      let last: unknown;
      for (const ep of eps) {
        try {
          list.push({ ep, resp: await perEndpoint(c, ep, (cli) => cli.maintenance.status(c.timeout()), true) });
        } catch (err) {
          last = err;
          c.io.err(`Failed to get the status of endpoint ${ep} (${errorText(err)})\n`);
        }
      }
      c.display.endpointStatus(list);
      // Each failure was reported above; etcdctl then exits without an "Error:" line.
      if (last !== undefined) throw new CliExit(ExitCode.Error, '');
      return;
    }
    case 'hashkv': {
      const list: EpHashKV[] = [];
      let last: unknown;
      for (const ep of eps) {
        try {
          list.push({ ep, resp: await perEndpoint(c, ep, (cli) => cli.maintenance.hashKV(c.int('rev'), c.timeout()), true) });
        } catch (err) {
          last = err;
          c.io.err(`Failed to get the hash of endpoint ${ep} (${errorText(err)})\n`);
        }
      }
      c.display.endpointHashKV(list);
      if (last !== undefined) fail(last);
      return;
    }
    default:
      throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl endpoint"`);
  }
}
