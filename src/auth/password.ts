// Where a password becomes its bcrypt hash. etcd 3.5+ hashes it in the API layer, once,
// and the log entry carries the hash (AuthUserAddRequest/AuthUserChangePasswordRequest
// .hashedPassword, base64) with an empty password, so every member stores the same bytes
// and none pays bcrypt while applying. An entry with a plain password and no hash (etcd
// 3.4's form, as older logs hold) is hashed where it is applied.
import bcrypt from 'bcryptjs';
import { Errors } from '../rpctypes/errors.js';

export interface PasswordFields {
  password: string;
  hashedPassword?: string;
}

/** The two requests that carry a password, as the log's InternalRaftRequest names them. */
export interface PasswordRequests {
  authUserAdd?: PasswordFields & { name: string; options?: { noPassword: boolean } };
  authUserChangePassword?: PasswordFields & { name: string };
}

async function hashed<T extends PasswordFields>(r: T, cost: number): Promise<T> {
  const hash = await bcrypt.hash(r.password, cost);
  return { ...r, password: '', hashedPassword: Buffer.from(hash).toString('base64') };
}

/**
 * The request as it goes into the log. With `hashedPasswordField` (3.5+, etcd's v3_server):
 * UserAdd hashes its password unless the user has none (a hash the client sent is replaced),
 * UserChangePassword hashes a non-empty password and otherwise passes the client's hash on.
 * Without it (3.4, where the field does not exist): the client's hash is dropped, and the
 * password is hashed as 3.4 hashed it at apply — always for a change, unless no-password for
 * an add.
 */
export async function passwordForLog<T extends PasswordRequests>(req: T, cost: number, hashedPasswordField: boolean): Promise<T> {
  const add = req.authUserAdd;
  if (add) {
    if (!add.options?.noPassword) return { ...req, authUserAdd: await hashed(add, cost) };
    if (hashedPasswordField) return req;
    const { hashedPassword: _dropped, ...plain } = add;
    return { ...req, authUserAdd: plain };
  }
  const change = req.authUserChangePassword;
  if (change && (!hashedPasswordField || change.password !== '')) return { ...req, authUserChangePassword: await hashed(change, cost) };
  return req;
}

// Go's base64.StdEncoding: padded, standard alphabet; it skips CR and LF.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * etcd's selectPassword, at apply: a plain password without a hash is hashed here (entries
 * written by 3.4); otherwise the hash is the stored password, and a hash that is not base64
 * is etcd's ErrNoPasswordUser. An empty hash stores an empty password, which authenticates
 * no one.
 */
export function selectPassword(r: PasswordFields, cost: number): Uint8Array {
  const hash = r.hashedPassword ?? '';
  if (r.password !== '' && hash === '') return new Uint8Array(Buffer.from(bcrypt.hashSync(r.password, cost)));
  const b64 = hash.replace(/[\r\n]/g, '');
  if (!STD_BASE64.test(b64)) throw Errors.NoPasswordUser;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
