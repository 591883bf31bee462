// auth enable/disable, user *, role *.
import { prefixEnd } from '../../../client/bytes.js';
import type { PermissionType } from '../../../client/auth.js';
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';
import { readPasswordInteractive } from '../password.js';

const bad = (m: string) => new CliExit(ExitCode.BadArgs, m);
const dec = new TextDecoder();

export async function auth(c: Ctx): Promise<void> {
  const [sub, ...rest] = c.args;
  if (sub !== 'enable' && sub !== 'disable') throw bad(`unknown command "${sub ?? ''}" for "etcdctl auth"`);
  if (rest.length !== 0) throw bad(`auth ${sub} command does not accept any arguments`);
  const cli = await c.client();
  if (sub === 'enable') {
    for (;;) {
      try {
        await cli.auth.enable(c.timeout());
        break;
      } catch (err) {
        // As etcdctl: create the root role on demand, then enable again.
        if (err instanceof Error && err.message === 'etcdserver: root user does not have root role') {
          await cli.auth.roleAdd('root', c.timeout()).catch((e) => fail(e));
          await cli.auth.userGrantRole('root', 'root', c.timeout()).catch((e) => fail(e));
          continue;
        }
        fail(err);
      }
    }
    c.io.out('Authentication Enabled\n');
    return;
  }
  await cli.auth.disable(c.timeout()).catch((e) => fail(e));
  c.io.out('Authentication Disabled\n');
}

/** user add's name and password: --no-password, --new-user-password, name:password, or asked for. */
async function newUser(c: Ctx, arg: string): Promise<{ name: string; password: string }> {
  if (c.bool('no-password')) return { name: arg, password: '' };
  const fromFlag = c.str('new-user-password');
  if (fromFlag !== '') return { name: arg, password: fromFlag };
  const i = arg.indexOf(':');
  if (i >= 0) {
    if (i === 0) throw bad('empty user name is not allowed');
    return { name: arg.slice(0, i), password: arg.slice(i + 1) };
  }
  return { name: arg, password: await askedPassword(c, arg) };
}

/** Interactive: prompted twice on the terminal; otherwise one word from stdin. */
function askedPassword(c: Ctx, name: string): Promise<string> {
  return c.bool('interactive') ? readPasswordInteractive(c.io, name) : c.io.readToken();
}

export async function user(c: Ctx): Promise<void> {
  const [sub, ...rest] = c.args;
  const need = (n: number, msg: string) => {
    if (rest.length !== n) throw bad(msg);
  };
  const d = c.display;
  switch (sub) {
    case 'add': {
      need(1, 'user add command requires user name as its argument');
      const { name, password: pw } = await newUser(c, rest[0]!);
      const cli = await c.client();
      const r = await cli.auth.userAdd(name, pw, { noPassword: c.bool('no-password'), ...c.timeout() }).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserAddResponse', r, `User ${name} created\n`);
    }
    case 'get': {
      need(1, 'user get command requires user name as its argument');
      const cli = await c.client();
      const r = await cli.auth.userGet(rest[0]!, c.timeout()).catch((e) => fail(e));
      if (!c.bool('detail')) return d.userGet(rest[0]!, r);
      c.io.out(`User: ${rest[0]}\n`);
      for (const role of r.roles) {
        c.io.out('\n');
        d.roleGet(role, await cli.auth.roleGet(role, c.timeout()).catch((e) => fail(e)));
      }
      return;
    }
    case 'list': {
      need(0, 'user list command requires no arguments');
      const cli = await c.client();
      return d.userList(await cli.auth.userList(c.timeout()).catch((e) => fail(e)));
    }
    case 'delete': {
      need(1, 'user delete command requires user name as its argument');
      const cli = await c.client();
      const r = await cli.auth.userDelete(rest[0]!, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserDeleteResponse', r, `User ${rest[0]} deleted\n`);
    }
    case 'passwd': {
      need(1, 'user passwd command requires user name as its argument');
      const pw = await askedPassword(c, rest[0]!);
      const cli = await c.client();
      const r = await cli.auth.userChangePassword(rest[0]!, pw, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserChangePasswordResponse', r, 'Password updated\n');
    }
    case 'grant-role': {
      need(2, 'user grant command requires user name and role name as its argument');
      const cli = await c.client();
      const r = await cli.auth.userGrantRole(rest[0]!, rest[1]!, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserGrantRoleResponse', r, `Role ${rest[1]} is granted to user ${rest[0]}\n`);
    }
    case 'revoke-role': {
      need(2, 'user revoke-role requires user name and role name as its argument');
      const cli = await c.client();
      const r = await cli.auth.userRevokeRole(rest[0]!, rest[1]!, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserRevokeRoleResponse', r, `Role ${rest[1]} is revoked from user ${rest[0]}\n`);
    }
    default:
      throw bad(`unknown command "${sub ?? ''}" for "etcdctl user"`);
  }
}

const PERM: Record<string, PermissionType> = { READ: 'read', WRITE: 'write', READWRITE: 'readwrite' };

/** etcdctl's permRange: the key and range end a grant or revoke names, from its arguments and flags. */
function permRange(c: Ctx, args: string[]): { key: string; rangeEnd: string } {
  const prefix = c.bool('prefix');
  const fromKey = c.bool('from-key');
  const key = args[0]!;
  if (key === '') {
    if (prefix && fromKey) throw bad('--from-key and --prefix flags are mutually exclusive');
    return { key: '\x00', rangeEnd: prefix || fromKey ? '\x00' : '' };
  }
  if (args.length === 1) {
    if (prefix && fromKey) throw bad('--from-key and --prefix flags are mutually exclusive');
    if (prefix) return { key, rangeEnd: dec.decode(prefixEnd(new TextEncoder().encode(key))) };
    return { key, rangeEnd: fromKey ? '\x00' : '' };
  }
  if (prefix) throw bad('unexpected endkey argument with --prefix flag');
  if (fromKey) throw bad('unexpected endkey argument with --from-key flag');
  return { key, rangeEnd: args[1]! };
}

export async function role(c: Ctx): Promise<void> {
  const [sub, ...rest] = c.args;
  const d = c.display;
  switch (sub) {
    case 'add': {
      if (rest.length !== 1) throw bad('role add command requires role name as its argument');
      const cli = await c.client();
      const r = await cli.auth.roleAdd(rest[0]!, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthRoleAddResponse', r, `Role ${rest[0]} created\n`);
    }
    case 'delete': {
      if (rest.length !== 1) throw bad('role delete command requires role name as its argument');
      const cli = await c.client();
      const r = await cli.auth.roleDelete(rest[0]!, c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthRoleDeleteResponse', r, `Role ${rest[0]} deleted\n`);
    }
    case 'list': {
      if (rest.length !== 0) throw bad('role list command requires no arguments');
      const cli = await c.client();
      return d.roleList(await cli.auth.roleList(c.timeout()).catch((e) => fail(e)));
    }
    case 'get': {
      if (rest.length !== 1) throw bad('role get command requires role name as its argument');
      const cli = await c.client();
      return d.roleGet(rest[0]!, await cli.auth.roleGet(rest[0]!, c.timeout()).catch((e) => fail(e)));
    }
    case 'grant-permission': {
      if (rest.length < 3) throw bad('role grant command requires role name, permission type, and key [endkey] as its argument');
      const perm = PERM[rest[1]!.toUpperCase()];
      if (!perm) throw bad(`invalid permission type: ${rest[1]}`);
      const { key, rangeEnd } = permRange(c, rest.slice(2));
      const cli = await c.client();
      const r = await cli.auth.roleGrantPermission(rest[0]!, perm, key, { rangeEnd, ...c.timeout() }).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthRoleGrantPermissionResponse', r, `Role ${rest[0]} updated\n`);
    }
    case 'revoke-permission': {
      if (rest.length < 2) throw bad('role revoke-permission command requires role name and key [endkey] as its argument');
      const { key, rangeEnd: end } = permRange(c, rest.slice(1));
      const cli = await c.client();
      const r = await cli.auth.roleRevokePermission(rest[0]!, key, { rangeEnd: end, ...c.timeout() }).catch((e) => fail(e));
      // etcdctl prints the key as typed and the range end it sent.
      const text = end === '' ? `Permission of key ${rest[1]} is revoked from role ${rest[0]}\n` : end !== '\x00' ? `Permission of range [${rest[1]}, ${end}) is revoked from role ${rest[0]}\n` : `Permission of range [${rest[1]}, <open ended> is revoked from role ${rest[0]}\n`;
      return d.authResult('etcdserverpb.AuthRoleRevokePermissionResponse', r, text);
    }
    default:
      throw bad(`unknown command "${sub ?? ''}" for "etcdctl role"`);
  }
}
