// Writes n keys outside the migration's key prefix, concurrently, so that a cluster's
// log grows past what its leader keeps for slow followers and gets compacted.
import { grpcKv } from '../helpers/grpc.js';

export async function preload(endpoints: string[], n: number): Promise<void> {
  const conns = endpoints.map((e) => grpcKv(e));
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        while (next < n) {
          const i = next++;
          await conns[w % conns.length]!.kv.put({ key: Buffer.from(`/pre/${i}`), value: Buffer.alloc(64, i % 256) }, { timeoutMs: 10_000 });
        }
      }),
    );
  } finally {
    for (const c of conns) c.close();
  }
}
