// etcdserverpb.Auth: every change goes through the log on behalf of the caller;
// Authenticate checks the password first, then issues a token through the log.
import type { CallContext } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import { authInfoFromCall } from '../auth/guard.js';
import type { AuthRaftRequest } from '../auth/index.js';

export function authImpl(s: EtcdServer) {
  const as = (field: keyof AuthRaftRequest) => (req: any, call: CallContext) => s.proposeAuth({ [field]: req }, authInfoFromCall(s, call));
  return {
    Authenticate: (req: { name: string; password: string }) => s.authenticate(req.name, req.password),
    AuthEnable: as('authEnable'),
    AuthDisable: as('authDisable'),
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
