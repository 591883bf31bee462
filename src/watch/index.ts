export { WatchHub, type WatchHubOptions, type WatchHubStats } from './hub.js';
export { WatchStream, type WatchSend } from './stream.js';
export { WatchFilter, INVALID_WATCH_ID, ErrDuplicateWatchId, ErrEmptyWatcherRange, ErrCompactedReason, LATEST_WATCH_RULES, type WatchCreate, type WatchResult, type WatchRules } from './types.js';
export { fragments, eventSize } from './fragment.js';
