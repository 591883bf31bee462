export { MvccStore, TxnWrite, HashKVScan, type RangeOptions, type RangeResult, type HashKVResult, type CompactionHash, COMPACTION_HASHES, type WriteListener } from './store.js';
export { revToBytes, bytesToRev, isTombstone, type Revision } from './revision.js';
export { encodeKeyValue, decodeKeyValue } from '../pb/keyvalue.js';
