// The auth state machine: users, roles, the enabled flag and the auth revision,
// kept in the backend buckets etcd uses ('auth', 'authUsers', 'authRoles') and
// changed only by applying committed entries, so every member agrees and it
// survives restarts. Every change bumps the auth revision.
import bcrypt from 'bcryptjs';
import type { Backend } from '../backend/backend.js';
import { codec } from '../pb/codec.js';
import { Errors } from '../rpctypes/errors.js';
import { PermType, covers, grantedIntervals, type Permission } from './perm.js';
import { SimpleTokens } from './token.js';
import { JwtTokens, parseJwtOptions } from './jwt.js';
import { selectPassword, type PasswordFields } from './password.js';

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

export interface User {
  name: Uint8Array;
  password: Uint8Array;
  roles: string[];
  options?: { noPassword: boolean };
}
export interface Role {
  name: Uint8Array;
  keyPermission: Permission[];
}

/** Who is asking, and at which auth revision their token or certificate was checked. */
export interface AuthInfo {
  username: string;
  revision: number;
}

export interface AuthStoreOptions {
  bcryptCost: number;
  tokenTtlMs: number;
  /** etcd's --auth-token: 'simple' (default) or a jwt spec. */
  tokenSpec?: string;
  /** Clock for token expiry; Date.now by default. */
  now?: () => number;
}

const userCodec = codec<User>('authpb.User');
const roleCodec = codec<Role>('authpb.Role');
const enc = new TextEncoder();
const dec = new TextDecoder();
const ENABLED_KEY = enc.encode('authEnabled');
const REVISION_KEY = enc.encode('authRevision');

export class AuthStore {
  private readonly users = new Map<string, User>();
  private readonly roles = new Map<string, Role>();
  private enabledFlag = false;
  private rev = 0;
  readonly tokens: SimpleTokens;
  /** Set with --auth-token jwt,…: tokens are signed claims instead of simple tokens. */
  private readonly jwt?: JwtTokens;
  /** Merged grants per user, valid for one auth revision. */
  private permCache = new Map<string, { rev: number; read: ReturnType<typeof grantedIntervals>; write: ReturnType<typeof grantedIntervals> }>();

  constructor(
    private readonly backend: Backend,
    private readonly opts: AuthStoreOptions,
  ) {
    if (!(opts.bcryptCost >= 4 && opts.bcryptCost <= 31)) throw new Error(`invalid bcrypt-cost ${opts.bcryptCost}: must be between 4 and 31`);
    this.tokens = new SimpleTokens({ ttlMs: opts.tokenTtlMs, now: opts.now });
    const spec = opts.tokenSpec ?? 'simple';
    if (spec.startsWith('jwt')) this.jwt = new JwtTokens(parseJwtOptions(spec, opts.now));
    else if (spec !== 'simple') throw new Error(`unknown token type ${JSON.stringify(spec.split(',')[0])}`);
    const flag = backend.get('auth', ENABLED_KEY);
    this.enabledFlag = flag !== undefined && flag.length === 1 && flag[0] === 1;
    const r = backend.get('auth', REVISION_KEY);
    this.rev = r && r.length === 8 ? Number(Buffer.from(r).readBigUInt64BE(0)) : 0;
    // As etcd's NewAuthStore: a store that never had a revision starts at 1.
    if (this.rev === 0) this.bump();
    for (const [k, v] of backend.range('authUsers', new Uint8Array(0))) this.users.set(dec.decode(k), userCodec.decode(v));
    for (const [k, v] of backend.range('authRoles', new Uint8Array(0))) this.roles.set(dec.decode(k), roleCodec.decode(v));
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }
  get revision(): number {
    return this.rev;
  }

  private bump(): void {
    this.rev++;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(this.rev));
    this.backend.put('auth', REVISION_KEY, b);
  }

  private saveUser(u: User): void {
    this.users.set(dec.decode(u.name), u);
    this.backend.put('authUsers', u.name, new Uint8Array(userCodec.encode(u)));
  }

  private saveRole(r: Role): void {
    this.roles.set(dec.decode(r.name), r);
    this.backend.put('authRoles', r.name, new Uint8Array(roleCodec.encode(r)));
  }

  private mustUser(name: string): User {
    const u = this.users.get(name);
    if (!u) throw Errors.UserNotFound;
    return u;
  }

  private mustRole(name: string): Role {
    const r = this.roles.get(name);
    if (!r) throw Errors.RoleNotFound;
    return r;
  }

  // ---- changes, applied from the log -------------------------------------------------

  enable(): void {
    if (this.enabledFlag) return;
    const root = this.users.get(ROOT_USER);
    if (!root) throw Errors.RootUserNotExist;
    if (!root.roles.includes(ROOT_ROLE)) throw Errors.RootRoleNotExist;
    this.enabledFlag = true;
    this.backend.put('auth', ENABLED_KEY, Uint8Array.of(1));
    this.tokens.clear();
    // etcd's AuthEnable keeps the revision (only AuthDisable and the user/role changes commit one).
  }

  disable(): void {
    if (!this.enabledFlag) return;
    this.enabledFlag = false;
    this.backend.put('auth', ENABLED_KEY, Uint8Array.of(0));
    this.tokens.clear();
    this.bump();
  }

  userAdd(name: string, given: PasswordFields, noPassword: boolean): void {
    if (name === '') throw Errors.UserEmpty;
    if (this.users.has(name)) throw Errors.UserAlreadyExist;
    const hash = noPassword ? new Uint8Array(0) : selectPassword(given, this.opts.bcryptCost);
    this.saveUser({ name: enc.encode(name), password: hash, roles: [], options: { noPassword } });
    this.bump();
  }

  userDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_USER) throw Errors.InvalidAuthMgmt;
    const u = this.mustUser(name);
    this.users.delete(name);
    this.backend.delete('authUsers', u.name);
    this.tokens.invalidateUser(name);
    this.bump();
  }

  userChangePassword(name: string, given: PasswordFields): void {
    const u = this.mustUser(name);
    // A user without a password keeps none, as in etcd 3.5+.
    const hash = u.options?.noPassword ? new Uint8Array(0) : selectPassword(given, this.opts.bcryptCost);
    this.saveUser({ ...u, password: hash });
    this.tokens.invalidateUser(name);
    this.bump();
  }

  userGrantRole(user: string, role: string): void {
    const u = this.mustUser(user);
    if (role !== ROOT_ROLE) this.mustRole(role);
    if (u.roles.includes(role)) return;
    this.saveUser({ ...u, roles: [...u.roles, role].sort() });
    this.bump();
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT_USER && role === ROOT_ROLE) throw Errors.InvalidAuthMgmt;
    const u = this.mustUser(name);
    if (!u.roles.includes(role)) throw Errors.RoleNotGranted;
    this.saveUser({ ...u, roles: u.roles.filter((r) => r !== role) });
    this.bump();
  }

  roleAdd(name: string): void {
    if (name === '') throw Errors.RoleEmpty;
    if (this.roles.has(name)) throw Errors.RoleAlreadyExist;
    this.saveRole({ name: enc.encode(name), keyPermission: [] });
    this.bump();
  }

  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_ROLE) throw Errors.InvalidAuthMgmt;
    const r = this.mustRole(name);
    this.roles.delete(name);
    this.backend.delete('authRoles', r.name);
    // Users lose the role with it, as in etcd.
    for (const u of [...this.users.values()]) {
      if (u.roles.includes(name)) this.saveUser({ ...u, roles: u.roles.filter((x) => x !== name) });
    }
    this.bump();
  }

  roleGrantPermission(name: string, perm: Permission): void {
    const r = this.mustRole(name);
    const same = (p: Permission) => Buffer.compare(p.key, perm.key) === 0 && Buffer.compare(p.rangeEnd, perm.rangeEnd) === 0;
    const perms = r.keyPermission.some(same)
      ? r.keyPermission.map((p) => (same(p) ? { ...p, permType: perm.permType } : p))
      : [...r.keyPermission, { permType: perm.permType, key: perm.key, rangeEnd: perm.rangeEnd }].sort((a, b) => Buffer.compare(a.key, b.key));
    this.saveRole({ ...r, keyPermission: perms });
    this.bump();
  }

  roleRevokePermission(name: string, key: Uint8Array, rangeEnd: Uint8Array): void {
    const r = this.mustRole(name);
    const kept = r.keyPermission.filter((p) => !(Buffer.compare(p.key, key) === 0 && Buffer.compare(p.rangeEnd, rangeEnd) === 0));
    if (kept.length === r.keyPermission.length) throw Errors.PermissionNotGranted;
    this.saveRole({ ...r, keyPermission: kept });
    this.bump();
  }

  /** Issues the token chosen before proposing; the password was checked then too. */
  authenticate(name: string, prefix: string, index: number): string {
    if (!this.enabledFlag) throw Errors.AuthNotEnabled;
    if (!this.users.has(name)) throw Errors.AuthFailed;
    if (this.jwt) return this.jwt.assign(name, this.rev);
    return this.tokens.assign(prefix, index, name);
  }

  // ---- reads ------------------------------------------------------------------------

  userGet(name: string): string[] {
    return [...this.mustUser(name).roles];
  }
  userList(): string[] {
    return [...this.users.keys()].sort();
  }
  roleGet(name: string): Permission[] {
    return this.mustRole(name).keyPermission.map((p) => ({ ...p }));
  }
  roleList(): string[] {
    return [...this.roles.keys()].sort();
  }
  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) ?? false;
  }

  /** bcrypt's cost for the passwords this store hashes (--bcrypt-cost). */
  get bcryptCost(): number {
    return this.opts.bcryptCost;
  }

  /** Resolves when the password matches; bcrypt runs off the event loop's critical path. */
  async checkPassword(name: string, password: string): Promise<number> {
    if (!this.enabledFlag) throw Errors.AuthNotEnabled;
    const u = this.users.get(name);
    if (!u) throw Errors.AuthFailed;
    if (u.options?.noPassword) throw Errors.NoPasswordUser;
    if (!(await passwordMatches(password, u.password))) throw Errors.AuthFailed;
    return this.rev;
  }

  /** A token's user at the current revision; throws InvalidAuthToken for unknown or expired tokens. */
  authInfoFromToken(token: string): AuthInfo {
    if (this.jwt) {
      // A JWT carries the revision it was issued at: older than the store's, it is stale.
      const claims = this.jwt.info(token);
      if (!claims) throw Errors.InvalidAuthToken;
      return claims;
    }
    const user = this.tokens.user(token);
    if (user === undefined) throw Errors.InvalidAuthToken;
    return { username: user, revision: this.rev };
  }

  // ---- checks -----------------------------------------------------------------------

  isAdminPermitted(ai: AuthInfo | undefined): void {
    if (!this.enabledFlag) return;
    if (!ai || ai.username === '') throw Errors.UserEmpty;
    const u = this.users.get(ai.username);
    if (!u) throw Errors.UserNotFound;
    if (!u.roles.includes(ROOT_ROLE)) throw Errors.PermissionDenied;
  }

  isRangePermitted(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.isOpPermitted(ai, key, rangeEnd, PermType.READ);
  }
  isPutPermitted(ai: AuthInfo | undefined, key: Uint8Array): void {
    this.isOpPermitted(ai, key, new Uint8Array(0), PermType.WRITE);
  }
  isDeleteRangePermitted(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.isOpPermitted(ai, key, rangeEnd, PermType.WRITE);
  }

  private isOpPermitted(ai: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array, want: PermType.READ | PermType.WRITE): void {
    if (!this.enabledFlag) return;
    if (!ai || ai.revision === 0) throw Errors.UserEmpty;
    if (ai.revision < this.rev) throw Errors.AuthOldRevision;
    const u = this.users.get(ai.username);
    if (!u) throw Errors.PermissionDenied;
    if (u.roles.includes(ROOT_ROLE)) return;
    let cached = this.permCache.get(ai.username);
    if (!cached || cached.rev !== this.rev) {
      const perms = u.roles.flatMap((r) => this.roles.get(r)?.keyPermission ?? []);
      cached = { rev: this.rev, read: grantedIntervals(perms, PermType.READ), write: grantedIntervals(perms, PermType.WRITE) };
      this.permCache.set(ai.username, cached);
    }
    if (!covers(want === PermType.READ ? cached.read : cached.write, key, rangeEnd)) throw Errors.PermissionDenied;
  }
}

/** bcrypt's comparison; a stored hash that is no bcrypt hash (an empty one, or any bytes a client sent as hashedPassword) matches nothing. */
async function passwordMatches(password: string, stored: Uint8Array): Promise<boolean> {
  if (stored.length === 0) return false;
  try {
    return await bcrypt.compare(password, dec.decode(stored));
  } catch {
    return false;
  }
}
