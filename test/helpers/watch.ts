// A Watch stream through grpc-js (the wire as etcd's clients use it) that records every
// response with its arrival time, for tests that check order, progress and timing.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { Member } from './member.js';
import type { Msg } from './grpc.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
let pkg: any;
function etcdserverpb(): any {
  if (pkg === undefined) {
    const def = protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: Number, bytes: Buffer, enums: String, defaults: true, oneofs: true });
    pkg = (grpc.loadPackageDefinition(def) as any).etcdserverpb;
  }
  return pkg;
}

export interface Recorded {
  at: number;
  msg: Msg;
}

export interface WatchSession {
  readonly got: Recorded[];
  send(req: Msg): void;
  /** The next response (after those already taken by earlier waits) matching pred, within timeoutMs. */
  waitFor(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  /** Resolves after ms, for asserting that nothing (matching) arrived meanwhile. */
  quiet(ms: number): Promise<void>;
  close(): void;
}

export const isProgress = (m: Msg): boolean => !m.created && !m.canceled && m.events.length === 0 && m.compactRevision === 0;

export function openWatch(target: Member | string, metadata?: Record<string, string>): WatchSession {
  const endpoint = (typeof target === 'string' ? target : target.endpoint).replace(/^https?:\/\//, '');
  const client = new (etcdserverpb().Watch)(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  const call = client.Watch(md);
  const got: Recorded[] = [];
  const waiters: Array<() => void> = [];
  let cursor = 0;
  call.on('data', (m: Msg) => {
    got.push({ at: performance.now(), msg: m });
    for (const w of waiters.splice(0)) w();
  });
  call.on('error', () => {});
  return {
    got,
    send: (req) => call.write(req),
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no matching watch response within ${timeoutMs} ms; got ${JSON.stringify(got.map((g) => g.msg))}`)), timeoutMs);
        const look = () => {
          for (; cursor < got.length; cursor++) {
            if (pred(got[cursor].msg)) {
              clearTimeout(deadline);
              resolve(got[cursor++].msg);
              return;
            }
          }
          waiters.push(look);
        };
        look();
      });
    },
    quiet: (ms) => new Promise((r) => setTimeout(r, ms)),
    close() {
      call.cancel();
      client.close();
    },
  };
}
