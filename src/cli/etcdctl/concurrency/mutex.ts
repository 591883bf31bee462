// clientv3/concurrency's Mutex, as etcdctl's lock takes it: a key <name>/<lease>
// put under the session's lease; the oldest key on the prefix holds the lock.
import { Compare, Op } from '../../../client/kv.js';
import type { ResponseHeader } from '../../../pb/kv.js';
import { hexId } from '../format.js';
import type { Session } from './session.js';
import { waitDeletes } from './wait.js';

export class Mutex {
  private readonly pfx: string;
  /** The ownership key, once Lock was called. */
  key = '';
  private rev = -1;
  /** The header of the response that acquired the lock. */
  header: ResponseHeader | undefined;

  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.pfx = `${name}/`;
  }

  /** Waits until held; a cancelled wait deletes our key and throws the cancellation. */
  async lock(signal: AbortSignal): Promise<void> {
    const client = this.session.client;
    this.key = `${this.pfx}${hexId(this.session.lease)}`;
    const owner = Op.get(this.pfx, { prefix: true, sortTarget: 'create', sortOrder: 'ascend', limit: 1 });
    const r = await client.kv
      .txn()
      .if(Compare.createRevision(this.key, '=', 0))
      .then(Op.put(this.key, '', { lease: this.session.lease }), owner)
      .else(Op.get(this.key), owner)
      .commit({ signal });
    this.rev = r.succeeded ? (r.header?.revision ?? 0) : r.responses[0]!.responseRange!.kvs[0]!.createRevision;
    const first = r.responses[1]!.responseRange!.kvs[0];
    if (first === undefined || first.createRevision === this.rev) {
      this.header = r.header;
      return;
    }
    try {
      this.header = await waitDeletes(client, this.pfx, this.rev - 1, signal);
    } catch (err) {
      await this.unlock().catch(() => {});
      throw err;
    }
  }

  async unlock(): Promise<void> {
    await this.session.client.kv.delete(this.key);
    this.key = '\x00';
    this.rev = -1;
  }
}
