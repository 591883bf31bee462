// Raft core throughput: 3 members on a zero-latency in-memory network (messages are
// handed over as objects), each persisting to a MemoryStorage, the leader taking
// 256-byte proposals in batches of 64 per Ready cycle as a busy host would.
// Run directly: node dist/bench/raft.js

import { MemoryStorage, RawNode, type Message, type NodeId } from '../src/raft/index.js';

const PROPOSAL_BYTES = 256;
const BATCH = 64;

interface BenchMember {
  id: NodeId;
  storage: MemoryStorage;
  node: RawNode;
  applied: number;
}

function makeCluster(): BenchMember[] {
  const ids = [1n, 2n, 3n];
  let seed = 7;
  return ids.map((id) => {
    const storage = MemoryStorage.bootstrap(ids);
    const node = new RawNode({
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      checkQuorum: true,
      preVote: true,
      random: () => ((seed = (seed * 16807) % 2147483647) / 2147483647),
    });
    return { id, storage, node, applied: 0 };
  });
}

/** Ready cycles on every member, delivering messages at once, until the cluster is quiet. */
function settle(members: BenchMember[], byId: Map<NodeId, BenchMember>): void {
  for (let round = 0; round < 10_000; round++) {
    let busy = false;
    const outbox: Message[] = [];
    for (const m of members) {
      if (!m.node.hasReady()) continue;
      busy = true;
      const rd = m.node.ready();
      if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
      m.storage.append(rd.entries);
      if (rd.hardState) m.storage.setHardState(rd.hardState);
      for (const msg of rd.messages) outbox.push(msg);
      if (rd.committedEntries.length > 0) m.applied = rd.committedEntries[rd.committedEntries.length - 1]!.index;
      m.node.advance(rd);
      // Keep the in-memory log bounded, as a host compacts after snapshotting.
      if (m.applied - m.storage.firstIndex() > 20_000) m.storage.compact(m.applied - 10_000);
    }
    for (const msg of outbox) byId.get(msg.to)!.node.step(msg);
    if (!busy) return;
  }
  throw new Error('cluster did not settle');
}

export async function benchRaft(durationMs = 2000): Promise<{ entriesPerSec: number }> {
  const members = makeCluster();
  const byId = new Map(members.map((m) => [m.id, m]));
  const leader = members[0]!;
  leader.node.campaign();
  settle(members, byId);
  if (leader.node.status().softState.role !== 'leader') throw new Error('no leader');
  const payload = new Uint8Array(PROPOSAL_BYTES).fill(0x61);

  const startApplied = leader.applied;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < BATCH; i++) leader.node.propose(payload);
    settle(members, byId);
    elapsed = performance.now() - started;
  }
  // Everything proposed is committed and applied by all members once the cluster is quiet.
  const committed = leader.applied - startApplied;
  for (const m of members) if (m.applied !== leader.applied) throw new Error(`member ${m.id} applied ${m.applied} != ${leader.applied}`);
  return { entriesPerSec: Math.round(committed / (elapsed / 1000)) };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const r = await benchRaft();
  console.log(`raft: ${r.entriesPerSec} committed entries/s (3 members, ${PROPOSAL_BYTES}-byte proposals, ${BATCH} per Ready cycle)`);
}
