// etcdserverpb.Auth: every change goes through the log on behalf of the caller;
// Authenticate checks the password first, then issues a token through the log.
import type { CallContext } from '../grpc/types.js';
import type { AuthPort } from '../port/member-port.js';
import type { AuthRaftRequest } from '../auth/apply.js';
import { credentialsOf } from './credentials.js';

export function authImpl(p: AuthPort) {
  const as = (field: keyof AuthRaftRequest) => (req: any, call: CallContext) => p.authRequest({ [field]: req }, credentialsOf(call));
  return {
    Authenticate: (req: { name: string; password: string }) => p.authenticate(req),
    AuthEnable: as('authEnable'),
    AuthDisable: as('authDisable'),
    AuthStatus: as('authStatus'),
    UserAdd: as('authUserAdd'),
    UserGet: as('authUserGet'),
    UserList: as('authUserList'),
    UserDelete: as('authUserDelete'),
    UserChangePassword: as('authUserChangePassword'),
    UserGrantRole: as('authUserGrantRole'),
    UserRevokeRole: as('authUserRevokeRole'),
    RoleAdd: as('authRoleAdd'),
    RoleGet: as('authRoleGet'),
    RoleList: as('authRoleList'),
    RoleDelete: as('authRoleDelete'),
    RoleGrantPermission: as('authRoleGrantPermission'),
    RoleRevokePermission: as('authRoleRevokePermission'),
  };
}
