// Cluster: membership.
import { unaryMethod, type ClientDefaults } from './rpc.js';
import type { CallOptions, Transport } from './transport.js';
import type { MemberAddResponse, MemberListResponse, MemberPromoteResponse, MemberRemoveResponse, MemberUpdateResponse } from './types.js';

export class Cluster {
  private readonly rpc;
  constructor(transport: Transport, defaults: ClientDefaults) {
    const m = <R>(name: string, idempotent: boolean) => unaryMethod<any, R>(transport, defaults, 'etcdserverpb.Cluster', name, idempotent);
    this.rpc = {
      list: m<MemberListResponse>('MemberList', true),
      add: m<MemberAddResponse>('MemberAdd', false),
      remove: m<MemberRemoveResponse>('MemberRemove', false),
      update: m<MemberUpdateResponse>('MemberUpdate', false),
      promote: m<MemberPromoteResponse>('MemberPromote', false),
    };
  }

  /**
   * Linearizable by default, as etcd's clientv3 asks since 3.5 (a member first confirms it
   * is current); `serializable` answers from the member's own list. Servers before 3.5
   * ignore the field.
   */
  memberList(opts: CallOptions & { serializable?: boolean } = {}): Promise<MemberListResponse> {
    return this.rpc.list(opts.serializable ? {} : { linearizable: true }, opts);
  }
  memberAdd(peerURLs: string[], opts: CallOptions & { isLearner?: boolean } = {}): Promise<MemberAddResponse> {
    return this.rpc.add({ peerURLs, isLearner: opts.isLearner ?? false }, opts);
  }
  memberRemove(id: bigint, opts?: CallOptions): Promise<MemberRemoveResponse> {
    return this.rpc.remove({ ID: id }, opts);
  }
  memberUpdate(id: bigint, peerURLs: string[], opts?: CallOptions): Promise<MemberUpdateResponse> {
    return this.rpc.update({ ID: id, peerURLs }, opts);
  }
  memberPromote(id: bigint, opts?: CallOptions): Promise<MemberPromoteResponse> {
    return this.rpc.promote({ ID: id }, opts);
  }
}
