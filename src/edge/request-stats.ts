// etcd 3.6's log of slow unary requests (v3rpc's logUnaryRequestStats): a call that took
// longer than --warning-unary-request-duration is logged as "request stats" with its
// method and the client's address. Sizes and counts are not known at this layer and are
// reported as etcd reports them for request types it does not inspect (-1).
import type { Logger } from '../pkg/logger.js';
import { formatGoDuration } from '../config/go-values.js';

export function requestStatsLogger(logger: Logger, warnAfterMs: number): (fullMethod: string, startedAtMs: number, tookMs: number, peer: string) => void {
  return (fullMethod, startedAtMs, tookMs, peer) => {
    if (tookMs <= warnAfterMs) return;
    logger.warn('request stats', {
      'start time': new Date(startedAtMs).toISOString(),
      'time spent': formatGoDuration(tookMs),
      remote: peer || 'No remote client info.',
      'response type': fullMethod,
      'request count': -1,
      'request size': -1,
      'response count': -1,
      'response size': -1,
      'request content': '',
    });
  };
}
