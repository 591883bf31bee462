// etcd-ts as a library: an in-process member for tests and tools (startEtcd),
// and the client for any etcd v3 cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from './client/index.js';
import { startMember, type RunningMember } from './embed/member.js';
import { silentLogger, type Logger } from './pkg/logger.js';
import { defaultServerOptions, type ServerOptions } from './server/options.js';

export * from './client/index.js';

export interface StartEtcdOptions extends Partial<Omit<ServerOptions, 'dataDir' | 'name'>> {
  name?: string;
  /** Kept after close(); by default a fresh temp dir that close() removes. */
  dataDir?: string;
  /** Client port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  logger?: Logger;
  /** Serve the web dashboard under /dashboard/ (off by default). */
  enableDashboard?: boolean;
  /** Options for the returned client (endpoints are filled in). */
  client?: Omit<ClientOptions, 'endpoints'>;
}

export interface EmbeddedEtcd {
  /** Client URLs, e.g. ["http://127.0.0.1:41235"]. */
  endpoints: string[];
  client: Client;
  member: RunningMember;
  /** The member's data dir (removed by close() when startEtcd created it). */
  dataDir: string;
  /** Closes the client, stops the member, removes the data dir it created. */
  close(): Promise<void>;
}

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EmbeddedEtcd> {
  const { dataDir: givenDir, port = 0, host = '127.0.0.1', logger = silentLogger, client: clientOpts, enableDashboard, ...server } = opts;
  const ownedDir = givenDir === undefined ? mkdtempSync(join(tmpdir(), 'etcd-ts-embed-')) : undefined;
  const name = opts.name ?? 'default';
  const dataDir = givenDir ?? join(ownedDir!, `${name}.etcd`);
  const clientUrl = new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  let member: RunningMember;
  try {
    member = await startMember(
      {
        ...defaultServerOptions({ name, ...server }),
        dataDir,
        listenClientUrls: [clientUrl],
        advertiseClientUrls: [],
        enableDashboard,
      },
      logger,
    );
  } catch (err) {
    if (ownedDir) rmSync(ownedDir, { recursive: true, force: true });
    throw err;
  }
  const endpoints = member.clientUrls;
  const client = new Client({ ...clientOpts, endpoints });
  let closed = false;
  return {
    endpoints,
    client,
    member,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await member.close();
      if (ownedDir) rmSync(ownedDir, { recursive: true, force: true });
    },
  };
}
