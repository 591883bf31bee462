// auth enable/disable, user *, role *.
import { prefixEnd } from '../../../client/bytes.js';
import type { PermissionType } from '../../../client/auth.js';
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';
import { readPasswordInteractive } from '../password.js';

const bad = (m: string) => new CliExit(ExitCode.BadArgs, m);
const dec = new TextDecoder();

export async function auth(c: Ctx): Promise<void> {
  const [sub] = c.args;
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
  if (sub === 'disable') {
    await cli.auth.disable(c.timeout()).catch((e) => fail(e));
    c.io.out('Authentication Disabled\n');
    return;
  }
  throw bad(`unknown command "${sub ?? ''}" for "etcdctl auth"`);
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
      return d.authResult('etcdserverpb.AuthUserGetResponse', r, `User: ${rest[0]}\nRoles:${r.roles.map((x) => ' ' + x).join('')}\n`);
    }
    case 'list': {
      const cli = await c.client();
      const r = await cli.auth.userList(c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthUserListResponse', r, r.users.map((u) => u + '\n').join(''));
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

const PERM: Record<string, PermissionType> = { read: 'read', write: 'write', readwrite: 'readwrite' };

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
      const cli = await c.client();
      const r = await cli.auth.roleList(c.timeout()).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthRoleListResponse', r, r.roles.map((x) => x + '\n').join(''));
    }
    case 'get': {
      if (rest.length !== 1) throw bad('role get command requires role name as its argument');
      const cli = await c.client();
      const r = await cli.auth.roleGet(rest[0]!, c.timeout()).catch((e) => fail(e));
      const lines = (types: number[]) =>
        r.perm
          .filter((p) => types.includes(p.permType))
          .map((p) => {
            const key = dec.decode(p.key);
            if (p.rangeEnd.length === 0) return `\t${key}\n`;
            const end = dec.decode(p.rangeEnd);
            const range = end !== '\x00' ? `\t[${key}, ${end})` : `\t[${key}, <open ended>`;
            return range + (dec.decode(prefixEnd(p.key)) === end ? ` (prefix ${key})` : '') + '\n';
          })
          .join('');
      return d.authResult('etcdserverpb.AuthRoleGetResponse', r, `Role ${rest[0]}\nKV Read:\n${lines([0, 2])}KV Write:\n${lines([1, 2])}`);
    }
    case 'grant-permission': {
      if (rest.length < 3) throw bad('role grant command requires role name, permission type, and key [endkey] as its argument');
      const perm = PERM[rest[1]!.toLowerCase()];
      if (!perm) throw bad(`invalid permission type ${rest[1]}`);
      const cli = await c.client();
      const r = await cli.auth.roleGrantPermission(rest[0]!, perm, rest[2]!, { rangeEnd: rest[3], prefix: c.bool('prefix'), fromKey: c.bool('from-key'), ...c.timeout() }).catch((e) => fail(e));
      return d.authResult('etcdserverpb.AuthRoleGrantPermissionResponse', r, `Role ${rest[0]} updated\n`);
    }
    case 'revoke-permission': {
      if (rest.length < 2) throw bad('role revoke-permission command requires role name and key [endkey] as its argument');
      const cli = await c.client();
      const r = await cli.auth.roleRevokePermission(rest[0]!, rest[1]!, { rangeEnd: rest[2], prefix: c.bool('prefix'), fromKey: c.bool('from-key'), ...c.timeout() }).catch((e) => fail(e));
      const end = rest[2] ?? (c.bool('prefix') ? dec.decode(prefixEnd(new TextEncoder().encode(rest[1]!))) : c.bool('from-key') ? '\x00' : '');
      const text = end === '' ? `Permission of key ${rest[1]} is revoked from role ${rest[0]}\n` : end !== '\x00' ? `Permission of range [${rest[1]}, ${end}) is revoked from role ${rest[0]}\n` : `Permission of range [${rest[1]}, <open ended> is revoked from role ${rest[0]}\n`;
      return d.authResult('etcdserverpb.AuthRoleRevokePermissionResponse', r, text);
    }
    default:
      throw bad(`unknown command "${sub ?? ''}" for "etcdctl role"`);
  }
}
