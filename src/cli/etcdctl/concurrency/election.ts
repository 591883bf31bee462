// clientv3/concurrency's Election, as etcdctl's elect runs it: campaign by putting
// <name>/<lease> under the session's lease and waiting for older candidates to go;
// observe by reading the oldest candidate and watching it.
import type { Client } from '../../../client/client.js';
import { Compare, Op } from '../../../client/kv.js';
import type { KeyValue, RangeResponse } from '../../../pb/kv.js';
import { EventType } from '../../../pb/kv.js';
import { hexId } from '../format.js';
import type { Session } from './session.js';
import { waitDeletes } from './wait.js';

export class Election {
  private readonly pfx: string;
  /** The leader key once elected; "" after resigning. */
  key = '';
  private rev = 0;
  private leading = false;

  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.pfx = `${name}/`;
  }

  /** Waits until elected with `value`; a cancelled wait resigns and throws the cancellation. */
  async campaign(value: string, signal: AbortSignal): Promise<void> {
    const client = this.session.client;
    const k = `${this.pfx}${hexId(this.session.lease)}`;
    const r = await client.kv
      .txn()
      .if(Compare.createRevision(k, '=', 0))
      .then(Op.put(k, value, { lease: this.session.lease }))
      .else(Op.get(k))
      .commit({ signal });
    this.key = k;
    this.rev = r.header?.revision ?? 0;
    this.leading = true;
    if (!r.succeeded) {
      const kv = r.responses[0]!.responseRange!.kvs[0]!;
      this.rev = kv.createRevision;
      if (new TextDecoder().decode(kv.value) !== value) {
        try {
          await this.proclaim(value, signal);
        } catch (err) {
          await this.resign().catch(() => {});
          throw err;
        }
      }
    }
    try {
      await waitDeletes(client, this.pfx, this.rev - 1, signal);
    } catch (err) {
      if (signal.aborted) await this.resign().catch(() => {});
      else this.leading = false;
      throw err;
    }
  }

  private async proclaim(value: string, signal: AbortSignal): Promise<void> {
    const r = await this.session.client.kv
      .txn()
      .if(Compare.createRevision(this.key, '=', this.rev))
      .then(Op.put(this.key, value, { lease: this.session.lease }))
      .commit({ signal });
    if (!r.succeeded) {
      this.key = '';
      throw new Error('election: not leader');
    }
  }

  /** Deletes the leader key if it is still ours. */
  async resign(): Promise<void> {
    if (!this.leading) return;
    try {
      await this.session.client.kv.txn().if(Compare.createRevision(this.key, '=', this.rev)).then(Op.delete(this.key)).commit();
    } finally {
      this.key = '';
      this.leading = false;
    }
  }
}

/**
 * Election.Observe: each leader as a get response ({header, kvs: [leader]}), then
 * each new value of that leader key until it is deleted, then the next leader.
 * Ends (without error) when the signal aborts or a read or watch fails.
 */
export async function* observe(client: Client, name: string, signal: AbortSignal): AsyncGenerator<RangeResponse> {
  const pfx = `${name}/`;
  for (;;) {
    let first: RangeResponse;
    try {
      first = await client.kv.get(pfx, { prefix: true, sortTarget: 'create', sortOrder: 'ascend', limit: 1, signal });
    } catch {
      return;
    }
    let leader: { header: RangeResponse['header']; kv: KeyValue } | undefined = first.kvs[0] ? { header: first.header, kv: first.kvs[0] } : undefined;
    if (leader === undefined) {
      // No candidate yet: the first put on the prefix is the leader.
      const w = client.watch(pfx, { prefix: true, startRevision: first.header?.revision ?? 0, signal });
      try {
        for await (const r of w) {
          const put = r.events.find((e) => e.type === EventType.PUT);
          if (put) {
            leader = { header: { ...r.header!, revision: put.kv.modRevision }, kv: put.kv };
            break;
          }
        }
      } catch {
        return;
      } finally {
        await w.cancel();
      }
      if (leader === undefined) return;
    }
    if (signal.aborted) return;
    yield { header: leader.header, kvs: [leader.kv], more: false, count: 0 };
    const w = client.watch(leader.kv.key, { startRevision: (leader.header?.revision ?? 0) + 1, signal });
    try {
      watching: for await (const r of w) {
        for (const ev of r.events) {
          if (ev.type === EventType.DELETE) break watching;
          // clientv3 reuses the first read's response: its count and more come along.
          yield { ...first, header: r.header, kvs: [ev.kv] };
        }
      }
    } catch {
      return;
    } finally {
      await w.cancel();
    }
    if (signal.aborted) return;
  }
}
