export { WatchHub, type WatchHubOptions, type WatchHubStats } from './hub.js';
export { WatchStream, type WatchSend } from './stream.js';
export { WatchFilter, INVALID_WATCH_ID, ErrDuplicateWatchId, ErrEmptyWatcherRange, type WatchCreate, type WatchResult } from './types.js';
export { fragments, eventSize } from './fragment.js';
