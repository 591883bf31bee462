export { KvApplier, isTxnReadonly, type LeaseHooks } from './kv-applier.js';
export { checkRequest, checkRangeRequest, checkPutRequest, checkDeleteRequest, checkTxnRequest, checkIntervals, type CheckLimits } from './check.js';
export { applyCompare, applyCompares, compareKV, type ReadView } from './compare.js';
