// scripts/fanout-core.mjs [batch] [root]: the core's share of a watch fan-out, without sockets
// or threads: 10 streams × 10 watchers of one key on an in-memory store, writes applied
// `batch` at a time (default 8) through the watch hub, each response encoded as the member
// port encodes it and packed for an edge thread. Prints this thread's CPU µs per response.
// `root` is the checkout whose dist/ to load (default this one), for before/after figures.
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const BATCH = Number(process.argv[2] ?? 8);
const root = resolve(process.argv[3] ?? resolve(dirname(fileURLToPath(import.meta.url)), '..'));
const load = (p) => import(`${root}/dist/src/${p}`);
const { MemoryBackend } = await load('backend/memory.js');
const { MvccStore } = await load('mvcc/store.js');
const { WatchHub } = await load('watch/index.js');
const wire = await load('pb/watch-wire.js');
const { PackedWriter } = await load('port/packed.js');

const store = MvccStore.open(new MemoryBackend());
const hub = new WatchHub(store);
const packed = new PackedWriter();
let responses = 0;
for (let s = 0; s < 10; s++) {
  const stream = hub.openStream((r) => {
    const header = { clusterId: 1n, memberId: 2n, revision: r.revision, raftTerm: 2 };
    // Builds without shared bodies encode every response whole.
    const shared = wire.sharedWatchResponse?.(r, header);
    if (shared) packed.watchShared(s, shared);
    else packed.watch(s, wire.encodeWatchResponse(r, header));
    responses++;
    return true;
  });
  for (let w = 0; w < 10; w++) stream.watch({ key: Buffer.from('foo'), watchId: 0 });
}
const value = Buffer.alloc(8, 1);
function run(puts) {
  for (let i = 0; i < puts / BATCH; i++) {
    hub.batch(() => {
      for (let j = 0; j < BATCH; j++) {
        const t = store.write();
        t.put(Buffer.from('foo'), value);
        t.end();
      }
    });
    packed.take();
  }
}
run(20000);
const before = process.cpuUsage();
responses = 0;
run(40000);
const used = process.cpuUsage(before);
console.log(`batch ${BATCH}: ${responses} responses, ${((used.user + used.system) / responses).toFixed(3)} µs each`);
