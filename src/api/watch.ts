// etcdserverpb.Watch: one bidi stream per client stream, mapped onto a watch
// stream behind the member port, which sends each response with its header.
import type { BidiStream } from '../grpc/types.js';
import type { WatchPort } from '../port/member-port.js';
import type { WatchCreate } from '../watch/types.js';
import { credentialsOf } from './credentials.js';

interface WatchRequest {
  createRequest?: WatchCreate & { watchId: number };
  cancelRequest?: { watchId: number };
  progressRequest?: Record<string, never>;
}

export function watchImpl(p: WatchPort) {
  return {
    Watch: (call: BidiStream<WatchRequest, unknown>) => {
      let closed = false;
      const ws = p.openWatch(credentialsOf(call), (r) => (call.ended ? true : call.write(r)));
      const close = () => {
        closed = true;
        ws.close();
      };
      call.on('drain', () => ws.drained());
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
