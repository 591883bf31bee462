// The etcd client: one object with a member per service, sharing endpoints,
// failover, credentials and defaults.
import { Auth } from './auth.js';
import { Cluster } from './cluster.js';
import { Election, Lock } from './concurrency.js';
import { KV } from './kv.js';
import { Lease } from './lease.js';
import { Maintenance } from './maintenance.js';
import { Transport, type TransportOptions } from './transport.js';
import { Watch } from './watch.js';

export interface ClientOptions extends TransportOptions {
  /** Default deadline of every unary call (etcdctl --command-timeout); none by default. */
  commandTimeoutMs?: number;
}

export class Client {
  readonly transport: Transport;
  readonly kv: KV;
  readonly watcher: Watch;
  readonly lease: Lease;
  readonly cluster: Cluster;
  readonly maintenance: Maintenance;
  readonly auth: Auth;
  readonly lock: Lock;
  readonly election: Election;

  constructor(opts: ClientOptions) {
    this.transport = new Transport(opts);
    const defaults = { timeoutMs: opts.commandTimeoutMs };
    this.kv = new KV(this.transport, defaults);
    this.watcher = new Watch(this.transport);
    this.lease = new Lease(this.transport, defaults);
    this.cluster = new Cluster(this.transport, defaults);
    this.maintenance = new Maintenance(this.transport, defaults);
    this.auth = new Auth(this.transport, defaults);
    this.lock = new Lock(this.transport, defaults);
    this.election = new Election(this.transport, defaults);
  }

  // Shorthands for the KV calls used most.
  get: KV['get'] = (...a) => this.kv.get(...a);
  getString: KV['getString'] = (...a) => this.kv.getString(...a);
  put: KV['put'] = (...a) => this.kv.put(...a);
  delete: KV['delete'] = (...a) => this.kv.delete(...a);
  txn: KV['txn'] = () => this.kv.txn();
  watch: Watch['watch'] = (...a) => this.watcher.watch(...a);

  /** Cancels watches and keep-alives and closes every connection. */
  async close(): Promise<void> {
    this.lease.close();
    await this.watcher.close();
    this.transport.close();
  }
}
