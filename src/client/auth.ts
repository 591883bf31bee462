// Auth: enabling, users, roles and permissions.
import { toBytes, type Bytes } from './bytes.js';
import { rangeEndOf, type RangeOptions } from './kv.js';
import { unaryMethod, type ClientDefaults } from './rpc.js';
import type { CallOptions, Transport } from './transport.js';
import type { AuthHeaderOnly, AuthRoleGetResponse, AuthRoleListResponse, AuthStatusResponse, AuthUserGetResponse, AuthUserListResponse, AuthenticateResponse } from './types.js';

export type PermissionType = 'read' | 'write' | 'readwrite';
const PERM = { read: 0, write: 1, readwrite: 2 } as const;

export class Auth {
  private readonly m;
  constructor(transport: Transport, defaults: ClientDefaults) {
    const u = <R>(name: string, idempotent = false) => unaryMethod<any, R>(transport, defaults, 'etcdserverpb.Auth', name, idempotent);
    this.m = {
      enable: u<AuthHeaderOnly>('AuthEnable'),
      disable: u<AuthHeaderOnly>('AuthDisable'),
      status: u<AuthStatusResponse>('AuthStatus', true),
      authenticate: u<AuthenticateResponse>('Authenticate', true),
      userAdd: u<AuthHeaderOnly>('UserAdd'),
      userGet: u<AuthUserGetResponse>('UserGet', true),
      userList: u<AuthUserListResponse>('UserList', true),
      userDelete: u<AuthHeaderOnly>('UserDelete'),
      userChangePassword: u<AuthHeaderOnly>('UserChangePassword'),
      userGrantRole: u<AuthHeaderOnly>('UserGrantRole'),
      userRevokeRole: u<AuthHeaderOnly>('UserRevokeRole'),
      roleAdd: u<AuthHeaderOnly>('RoleAdd'),
      roleGet: u<AuthRoleGetResponse>('RoleGet', true),
      roleList: u<AuthRoleListResponse>('RoleList', true),
      roleDelete: u<AuthHeaderOnly>('RoleDelete'),
      roleGrantPermission: u<AuthHeaderOnly>('RoleGrantPermission'),
      roleRevokePermission: u<AuthHeaderOnly>('RoleRevokePermission'),
    };
  }

  enable(opts?: CallOptions) { return this.m.enable({}, opts); }
  disable(opts?: CallOptions) { return this.m.disable({}, opts); }
  /** etcd 3.5+: whether auth is enabled, and the auth revision. */
  status(opts?: CallOptions) { return this.m.status({}, opts); }
  authenticate(name: string, password: string, opts?: CallOptions) { return this.m.authenticate({ name, password }, opts); }
  userAdd(name: string, password: string, opts: CallOptions & { noPassword?: boolean } = {}) {
    return this.m.userAdd({ name, password, options: { noPassword: opts.noPassword ?? false } }, opts);
  }
  userGet(name: string, opts?: CallOptions) { return this.m.userGet({ name }, opts); }
  userList(opts?: CallOptions) { return this.m.userList({}, opts); }
  userDelete(name: string, opts?: CallOptions) { return this.m.userDelete({ name }, opts); }
  userChangePassword(name: string, password: string, opts?: CallOptions) { return this.m.userChangePassword({ name, password }, opts); }
  userGrantRole(user: string, role: string, opts?: CallOptions) { return this.m.userGrantRole({ user, role }, opts); }
  userRevokeRole(name: string, role: string, opts?: CallOptions) { return this.m.userRevokeRole({ name, role }, opts); }
  roleAdd(name: string, opts?: CallOptions) { return this.m.roleAdd({ name }, opts); }
  roleGet(role: string, opts?: CallOptions) { return this.m.roleGet({ role }, opts); }
  roleList(opts?: CallOptions) { return this.m.roleList({}, opts); }
  roleDelete(role: string, opts?: CallOptions) { return this.m.roleDelete({ role }, opts); }
  roleGrantPermission(name: string, permType: PermissionType, key: Bytes, opts: CallOptions & RangeOptions = {}) {
    const k = toBytes(key);
    return this.m.roleGrantPermission({ name, perm: { permType: PERM[permType], key: k, rangeEnd: rangeEndOf(k, opts) } }, opts);
  }
  roleRevokePermission(role: string, key: Bytes, opts: CallOptions & RangeOptions = {}) {
    const k = toBytes(key);
    return this.m.roleRevokePermission({ role, key: k, rangeEnd: rangeEndOf(k, opts) }, opts);
  }
}
