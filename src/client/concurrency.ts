// Lock and Election: etcd's v3lock and v3election services.
import { toBytes, type Bytes } from './bytes.js';
import { streamMethod, unaryMethod, type ClientDefaults } from './rpc.js';
import type { CallOptions, Transport } from './transport.js';
import type { AuthHeaderOnly, CampaignResponse, LeaderKey, LeaderResponse, LockResponse } from './types.js';

export class Lock {
  private readonly lockRpc;
  private readonly unlockRpc;
  constructor(transport: Transport, defaults: ClientDefaults) {
    this.lockRpc = unaryMethod<any, LockResponse>(transport, defaults, 'v3lockpb.Lock', 'Lock', false);
    this.unlockRpc = unaryMethod<any, AuthHeaderOnly>(transport, defaults, 'v3lockpb.Lock', 'Unlock', false);
  }
  /** Waits until the lock `name` is held under `lease`; resolves with the ownership key. */
  lock(name: Bytes, lease: bigint, opts?: CallOptions): Promise<LockResponse> {
    return this.lockRpc({ name: toBytes(name), lease }, opts);
  }
  unlock(key: Uint8Array, opts?: CallOptions): Promise<AuthHeaderOnly> {
    return this.unlockRpc({ key }, opts);
  }
}

export class Election {
  private readonly m;
  constructor(private readonly transport: Transport, defaults: ClientDefaults) {
    const u = <R>(name: string, idempotent = false) => unaryMethod<any, R>(transport, defaults, 'v3electionpb.Election', name, idempotent);
    this.m = {
      campaign: u<CampaignResponse>('Campaign'),
      proclaim: u<AuthHeaderOnly>('Proclaim'),
      leader: u<LeaderResponse>('Leader', true),
      resign: u<AuthHeaderOnly>('Resign'),
    };
  }
  /** Waits until elected leader of `name`. */
  campaign(name: Bytes, lease: bigint, value: Bytes, opts?: CallOptions): Promise<CampaignResponse> {
    return this.m.campaign({ name: toBytes(name), lease, value: toBytes(value) }, opts);
  }
  proclaim(leader: LeaderKey, value: Bytes, opts?: CallOptions) {
    return this.m.proclaim({ leader, value: toBytes(value) }, opts);
  }
  leader(name: Bytes, opts?: CallOptions): Promise<LeaderResponse> {
    return this.m.leader({ name: toBytes(name) }, opts);
  }
  resign(leader: LeaderKey, opts?: CallOptions) {
    return this.m.resign({ leader }, opts);
  }
  /** Each leadership change of `name`, starting with the current leader. */
  async *observe(name: Bytes, opts: CallOptions = {}): AsyncGenerator<LeaderResponse> {
    const s = streamMethod<{ name: Uint8Array }, LeaderResponse>('v3electionpb.Election', 'Observe');
    const { call } = await this.transport.openStream(s.path, { ...opts, request: s.request.encode({ name: toBytes(name) }) });
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const msg of call) yield s.response.decode(msg);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }
}
