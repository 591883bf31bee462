export { Lessor, NotPrimaryError, minLeaseTtl, MAX_LEASE_TTL, LEASE_REVOKE_RATE, EXPIRED_LEASE_RETRY_MS, type LessorOptions, type KeyDeleter, type KeyLister } from './lessor.js';
export { Lease, FOREVER } from './lease.js';
export { ExpiryLoop, EXPIRY_CHECK_INTERVAL_MS } from './expiry-loop.js';
export { leaseKey, loadLeases } from './persist.js';
