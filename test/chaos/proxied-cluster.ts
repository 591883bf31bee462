// A cluster whose members reach each other only through fault-injecting proxies:
// each member listens on its real peer port but advertises (and is listed in
// --initial-cluster under) its proxy's port, so every peer message and forwarded
// request crosses a PeerProxy, where each directed link can be faulted alone.
import { ClusterMember } from '../helpers/cluster.js';
import { freePort } from '../helpers/ports.js';
import { tmpDir } from '../helpers/tmp.js';
import { Client } from '../../src/client/index.js';
import { PeerProxy, type LinkFault } from './proxy.js';

export interface ProxiedCluster {
  members: ClusterMember[];
  /** Member IDs in hex, as rafthttp names senders; index-aligned with members. */
  ids: string[];
  /** proxies[i] stands in front of members[i]'s peer port. */
  proxies: PeerProxy[];
  /** Sets the fault on the directed link from members[from] to members[to]. */
  link(from: number, to: number, fault: LinkFault): void;
  /** Cuts every link between the two groups, both ways. */
  partition(a: number[], b: number[]): void;
  /** Every link passes again; paused members are resumed. */
  heal(): void;
  pause(i: number): void;
  resume(i: number): void;
  /** The index of the member that says it leads, asked of running members; -1 if none does. */
  leader(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface ProxiedClusterOptions {
  extraArgs?: string[];
  /** Runs once the members are laid out, before any is spawned (to mount their data dirs, say). */
  beforeSpawn?: (members: ClusterMember[]) => Promise<void>;
  /** Runs on close once the members have stopped, before their directory is removed. */
  beforeCleanup?: () => Promise<void>;
}

export async function startProxiedCluster(size: number, opts: ProxiedClusterOptions = {}): Promise<ProxiedCluster> {
  if (!(size >= 1 && size <= 7)) throw new Error(`cluster size must be 1..7: ${size}`);
  const dir = tmpDir('chaos');
  const ports: Array<{ client: number; peer: number; proxy: number }> = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort(), proxy: await freePort() });
  const proxyUrl = (i: number) => `http://127.0.0.1:${ports[i]!.proxy}`;
  const initialCluster = ports.map((_, i) => `m${i + 1}=${proxyUrl(i)}`).join(',');
  const proxies = ports.map((p) => new PeerProxy(p.proxy, p.peer));
  // Later flags win (Go's flag package): the advertised peer URL is the proxy's.
  const members = ports.map(
    (p, i) =>
      new ClusterMember(`m${i + 1}`, p.client, p.peer, dir.path, {
        name: `m${i + 1}`,
        initialCluster,
        state: 'new',
        extraArgs: [...(opts.extraArgs ?? []), '--initial-advertise-peer-urls', proxyUrl(i)],
      }),
  );
  const paused = new Set<number>();
  const ids: string[] = [];
  const check = (i: number) => {
    if (!(Number.isInteger(i) && i >= 0 && i < size)) throw new Error(`no member ${i}`);
  };
  const cluster: ProxiedCluster = {
    members,
    ids,
    proxies,
    link(from, to, fault) {
      check(from);
      check(to);
      if (from === to) throw new Error('a member has no link to itself');
      proxies[to]!.setFault(ids[from]!, fault);
    },
    partition(a, b) {
      for (const x of a) for (const y of b) {
        cluster.link(x, y, { kind: 'drop' });
        cluster.link(y, x, { kind: 'drop' });
      }
    },
    heal() {
      for (const i of [...paused]) cluster.resume(i);
      for (const p of proxies) p.heal();
    },
    pause(i) {
      check(i);
      if (members[i]!.signal('SIGSTOP')) paused.add(i);
    },
    resume(i) {
      check(i);
      members[i]!.signal('SIGCONT');
      paused.delete(i);
    },
    async leader(timeoutMs = 1000) {
      const answers = await Promise.all(
        members.map(async (m, i) => {
          if (!m.running || paused.has(i)) return false;
          const cl = new Client({ endpoints: [m.endpoint] });
          try {
            const st = await cl.maintenance.status({ timeoutMs });
            return st.leader !== 0n && st.leader === st.header?.memberId;
          } catch {
            return false;
          } finally {
            await cl.close();
          }
        }),
      );
      return answers.indexOf(true);
    },
    async close() {
      for (const i of [...paused]) cluster.resume(i);
      await Promise.all(members.map((m) => m.stop()));
      await Promise.all(proxies.map((p) => p.close()));
      await opts.beforeCleanup?.();
      dir.cleanup();
    },
  };
  try {
    await Promise.all(proxies.map((p) => p.listen()));
    await opts.beforeSpawn?.(members);
    for (const m of members) m.spawn();
    await Promise.all(members.map((m) => m.ready()));
    for (const m of members) {
      const cl = new Client({ endpoints: [m.endpoint] });
      try {
        const st = await cl.maintenance.status({ timeoutMs: 5000 });
        ids.push(st.header!.memberId.toString(16));
      } finally {
        await cl.close();
      }
    }
    const group = new Map(ids.map((id, i) => [id, proxies[i]!]));
    for (const p of proxies) p.group = group;
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
