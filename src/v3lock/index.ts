export { lock, unlock, type LockResult } from './lock.js';
export { waitDelete, waitDeletes } from './wait-deletes.js';
export { HubWatch } from './hub-watch.js';
export { prefixEnd, sessionKey, firstCreate, asServiceError, type CoordinationServer } from './kv.js';
