// lease grant / revoke / timetolive / list / keep-alive.
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';

function leaseId(text: string | undefined, what: string): bigint {
  if (text === undefined) throw new CliExit(ExitCode.BadArgs, what);
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new CliExit(ExitCode.BadArgs, `bad lease ID arg (strconv.ParseInt: parsing "${text}": invalid syntax), expecting ID in Hex`);
  return BigInt('0x' + text);
}

export async function lease(c: Ctx): Promise<void> {
  const [sub, ...rest] = c.args;
  switch (sub) {
    case 'grant': {
      if (rest.length !== 1) throw new CliExit(ExitCode.BadArgs, 'lease grant command needs TTL argument');
      if (!/^[-+]?\d+$/.test(rest[0]!)) throw new CliExit(ExitCode.BadArgs, `bad TTL (strconv.ParseInt: parsing "${rest[0]}": invalid syntax)`);
      const cli = await c.client();
      const r = await cli.lease.grant(Number(rest[0]), c.timeout()).catch((e) => fail(e, ExitCode.Error, (m) => `failed to grant lease (${m})`));
      return c.display.grant(r);
    }
    case 'revoke': {
      if (rest.length !== 1) throw new CliExit(ExitCode.BadArgs, 'lease revoke command needs 1 argument');
      const id = leaseId(rest[0], '');
      const cli = await c.client();
      const r = await cli.lease.revoke(id, c.timeout()).catch((e) => fail(e, ExitCode.Error, (m) => `failed to revoke lease (${m})`));
      return c.display.revoke(id, r);
    }
    case 'timetolive': {
      if (rest.length !== 1) throw new CliExit(ExitCode.BadArgs, 'lease timetolive command needs lease ID as argument');
      const id = leaseId(rest[0], '');
      const cli = await c.client();
      const r = await cli.lease.timeToLive(id, { keys: c.bool('keys'), ...c.timeout() }).catch((e) => fail(e, ExitCode.BadConnection));
      return c.display.timeToLive(r, c.bool('keys'));
    }
    case 'list': {
      const cli = await c.client();
      const r = await cli.lease.leases(c.timeout()).catch((e) => fail(e, ExitCode.BadConnection));
      return c.display.leases(r);
    }
    case 'keep-alive': {
      if (rest.length !== 1) throw new CliExit(ExitCode.BadArgs, 'lease keep-alive command needs lease ID as argument');
      const id = leaseId(rest[0], '');
      const cli = await c.client();
      if (c.bool('once')) {
        const r = await cli.lease.keepAliveOnce(id, c.timeout()).catch((e) => fail(e, ExitCode.BadConnection));
        return c.display.keepAlive(r);
      }
      const ttl = await cli.lease.timeToLive(id, c.timeout()).catch((e) => fail(e, ExitCode.BadConnection));
      const k = cli.lease.keepAlive(id, ttl.TTL > 0 ? ttl.TTL : 1);
      await new Promise<void>((resolve) => {
        k.on('keepalive', (r) => c.display.keepAlive(r));
        k.once('lost', () => resolve());
        if (ttl.TTL <= 0) {
          k.close();
          resolve();
        }
      });
      if (c.display.format === 'simple') c.io.out(`lease ${BigInt.asUintN(64, id).toString(16).padStart(16, '0')} expired or revoked.\n`);
      return;
    }
    default:
      throw new CliExit(ExitCode.BadArgs, sub === undefined ? 'lease command needs a subcommand' : `unknown command "${sub}" for "etcdctl lease"`);
  }
}
