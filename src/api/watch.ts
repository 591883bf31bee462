// etcdserverpb.Watch: one bidi stream per client stream, mapped onto a watch hub
// stream. Responses carry the member's header at the revision the hub vouches for.
import type { BidiStream } from '../grpc/types.js';
import type { EtcdServer } from '../server/server.js';
import type { WatchCreate, WatchResult } from '../watch/index.js';

interface WatchRequest {
  createRequest?: WatchCreate & { watchId: number };
  cancelRequest?: { watchId: number };
  progressRequest?: Record<string, never>;
}

export function watchImpl(s: EtcdServer) {
  return {
    Watch: (call: BidiStream<WatchRequest, unknown>) => {
      const ws = s.watchHub.openStream((r) => (call.ended ? true : call.write(toWire(s, r))));
      const close = () => ws.close();
      call.on('drain', () => ws.drained());
      call.on('cancel', close);
      call.signal.addEventListener('abort', close, { once: true });
      // As etcd, a client's half-close leaves the stream open: events keep flowing until it cancels.
      call.on('end', () => {});
      call.on('data', (req: WatchRequest) => {
        if (ws.isClosed) return;
        if (req.createRequest) ws.watch(req.createRequest);
        else if (req.cancelRequest) ws.cancel(req.cancelRequest.watchId);
        else if (req.progressRequest) ws.requestProgress();
      });
    },
  };
}

function toWire(s: EtcdServer, r: WatchResult) {
  return {
    header: s.header(r.revision),
    watchId: r.watchId,
    created: r.created,
    canceled: r.canceled,
    compactRevision: r.compactRevision,
    cancelReason: r.cancelReason,
    fragment: r.fragment,
    events: r.events,
  };
}
