// etcdserverpb.Watch: one bidi stream per client stream, mapped onto a watch
// stream behind the member port, which sends each response with its header.
import type { BidiStream } from '../grpc/types.js';
import type { WatchPort } from '../port/member-port.js';
import type { WatchCreate } from '../watch/types.js';
import { credentialsOf } from './credentials.js';
import { composeWatchResponse } from '../pb/watch-wire.js';

interface WatchRequest {
  createRequest?: WatchCreate & { watchId: number };
  cancelRequest?: { watchId: number };
  progressRequest?: Record<string, never>;
}

/**
 * etcd's chanBufLen: responses a watch stream holds for a client that reads slowly before its
 * watchers fall behind (and catch up from storage). HTTP/2 says "full" far sooner, after 16 KiB;
 * counting responses as etcd does keeps watchers synced, and progress requests answerable,
 * under a steady write load.
 */
const WATCH_RESPONSE_BUFFER = 128;

export function watchImpl(p: WatchPort) {
  return {
    Watch: (call: BidiStream<WatchRequest, unknown>) => {
      let closed = false;
      let queued = 0;
      const ws = p.openWatch(credentialsOf(call), (r) => {
        if (call.ended) return true;
        if (call.write(r instanceof Uint8Array ? r : composeWatchResponse(r.body.header, r.watchId, r.body.events))) return true;
        return ++queued < WATCH_RESPONSE_BUFFER;
      });
      const close = () => {
        closed = true;
        ws.close();
      };
      call.on('drain', () => {
        queued = 0;
        ws.drained();
      });
      call.on('cancel', close);
      call.signal.addEventListener('abort', close, { once: true });
      // As etcd, a client's half-close leaves the stream open: events keep flowing until it cancels.
      call.on('end', () => {});
      call.on('data', (req: WatchRequest) => {
        if (closed) return;
        if (req.createRequest) ws.watch(req.createRequest);
        else if (req.cancelRequest) ws.cancel(req.cancelRequest.watchId);
        else if (req.progressRequest) ws.requestProgress();
      });
    },
  };
}
