export { AuthStore, ROOT_ROLE, ROOT_USER, type AuthInfo, type AuthStoreOptions } from './store.js';
export { applyAuth, isAuthRequest, type AuthRaftRequest } from './apply.js';
export { SimpleTokens } from './token.js';
export { PermType, type Permission } from './perm.js';
