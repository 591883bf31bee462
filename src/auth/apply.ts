// Applies the auth requests of committed entries to the auth store. Who asked
// travels in the entry's header, so the admin check happens at apply time, on
// the state every member shares, as etcd's authApplierV3 does.
import { EtcdError, toEtcdError } from '../rpctypes/errors.js';
import type { AuthInfo, AuthStore } from './store.js';
import type { Permission } from './perm.js';

type Empty = Record<string, never>;

/** The auth fields of etcd's InternalRaftRequest, as the codec names them. */
export interface AuthRaftRequest {
  authEnable?: Empty;
  authDisable?: Empty;
  /** etcd 3.5+: whether auth is enabled and the auth revision, read where every member agrees. */
  authStatus?: Empty;
  authenticate?: { name: string; password: string; simpleToken: string };
  /** hashedPassword (3.5+): the bcrypt hash, base64, set by the member that proposed the entry. */
  authUserAdd?: { name: string; password: string; hashedPassword?: string; options?: { noPassword: boolean } };
  authUserDelete?: { name: string };
  authUserGet?: { name: string };
  authUserChangePassword?: { name: string; password: string; hashedPassword?: string };
  authUserGrantRole?: { user: string; role: string };
  authUserRevokeRole?: { name: string; role: string };
  authUserList?: Empty;
  authRoleList?: Empty;
  authRoleAdd?: { name: string };
  authRoleDelete?: { role: string };
  authRoleGet?: { role: string };
  authRoleGrantPermission?: { name: string; perm?: Permission };
  authRoleRevokePermission?: { role: string; key: Uint8Array; rangeEnd: Uint8Array };
}

const KINDS = [
  'authEnable', 'authDisable', 'authStatus', 'authenticate', 'authUserAdd', 'authUserDelete', 'authUserGet', 'authUserChangePassword',
  'authUserGrantRole', 'authUserRevokeRole', 'authUserList', 'authRoleList', 'authRoleAdd', 'authRoleDelete',
  'authRoleGet', 'authRoleGrantPermission', 'authRoleRevokePermission',
] as const satisfies readonly (keyof AuthRaftRequest)[];

/** Everything but Authenticate and the two self-service reads needs the root role. */
const ADMIN_ONLY = new Set<keyof AuthRaftRequest>(KINDS.filter((k) => k !== 'authenticate' && k !== 'authUserGet' && k !== 'authRoleGet'));

export function isAuthRequest(req: AuthRaftRequest): boolean {
  return KINDS.some((k) => req[k] !== undefined);
}

export interface AuthApplyResult {
  resp?: Record<string, unknown>;
  err?: EtcdError;
}

export function applyAuth(store: AuthStore, req: AuthRaftRequest, ai: AuthInfo, index: number): AuthApplyResult {
  try {
    return { resp: applyOne(store, req, ai, index) };
  } catch (err) {
    return { err: toEtcdError(err) };
  }
}

function applyOne(store: AuthStore, r: AuthRaftRequest, ai: AuthInfo, index: number): Record<string, unknown> {
  const kind = KINDS.find((k) => r[k] !== undefined);
  if (!kind) throw new Error('apply: not an auth request');
  if (ADMIN_ONLY.has(kind)) store.isAdminPermitted(ai);
  if (r.authEnable) store.enable();
  else if (r.authDisable) store.disable();
  else if (r.authStatus) return { enabled: store.enabled, authRevision: store.revision };
  else if (r.authenticate) return { token: store.authenticate(r.authenticate.name, r.authenticate.simpleToken, index) };
  else if (r.authUserAdd) store.userAdd(r.authUserAdd.name, r.authUserAdd, r.authUserAdd.options?.noPassword ?? false);
  else if (r.authUserDelete) store.userDelete(r.authUserDelete.name);
  else if (r.authUserChangePassword) store.userChangePassword(r.authUserChangePassword.name, r.authUserChangePassword);
  else if (r.authUserGrantRole) store.userGrantRole(r.authUserGrantRole.user, r.authUserGrantRole.role);
  else if (r.authUserRevokeRole) store.userRevokeRole(r.authUserRevokeRole.name, r.authUserRevokeRole.role);
  else if (r.authRoleAdd) store.roleAdd(r.authRoleAdd.name);
  else if (r.authRoleDelete) store.roleDelete(r.authRoleDelete.role);
  else if (r.authRoleGrantPermission) {
    if (!r.authRoleGrantPermission.perm) throw new Error('apply: role grant without a permission');
    store.roleGrantPermission(r.authRoleGrantPermission.name, r.authRoleGrantPermission.perm);
  } else if (r.authRoleRevokePermission) {
    const p = r.authRoleRevokePermission;
    store.roleRevokePermission(p.role, p.key, p.rangeEnd);
  } else if (r.authUserList) return { users: store.userList() };
  else if (r.authRoleList) return { roles: store.roleList() };
  else if (r.authUserGet) {
    // A user may read itself; anyone else needs the root role.
    if (r.authUserGet.name !== ai.username) store.isAdminPermitted(ai);
    return { roles: store.userGet(r.authUserGet.name) };
  } else if (r.authRoleGet) {
    if (!store.hasRole(ai.username, r.authRoleGet.role)) store.isAdminPermitted(ai);
    return { perm: store.roleGet(r.authRoleGet.role) };
  }
  return {};
}
