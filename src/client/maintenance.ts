// Maintenance: status, hashes, alarms, defragmentation, snapshots, leader moves.
// Status and hashes describe one member: pin the transport to it first when that matters.
import { streamMethod, unaryMethod, type ClientDefaults } from './rpc.js';
import type { CallOptions, Transport } from './transport.js';
import type { AlarmResponse, DefragmentResponse, DowngradeResponse, HashKVResponse, HashResponse, MoveLeaderResponse, SnapshotResponse, StatusResponse } from './types.js';

export enum AlarmType {
  NONE = 0,
  NOSPACE = 1,
  CORRUPT = 2,
}

/** etcd 3.5's DowngradeRequest.DowngradeAction. */
export enum DowngradeAction {
  VALIDATE = 0,
  ENABLE = 1,
  CANCEL = 2,
}

export class Maintenance {
  private readonly rpc;
  constructor(private readonly transport: Transport, defaults: ClientDefaults) {
    const m = <R>(name: string, idempotent: boolean) => unaryMethod<any, R>(transport, defaults, 'etcdserverpb.Maintenance', name, idempotent);
    this.rpc = {
      status: m<StatusResponse>('Status', true),
      hash: m<HashResponse>('Hash', true),
      hashKV: m<HashKVResponse>('HashKV', true),
      alarm: m<AlarmResponse>('Alarm', false),
      alarmGet: m<AlarmResponse>('Alarm', true),
      defragment: m<DefragmentResponse>('Defragment', false),
      moveLeader: m<MoveLeaderResponse>('MoveLeader', false),
      downgradeValidate: m<DowngradeResponse>('Downgrade', true),
      downgrade: m<DowngradeResponse>('Downgrade', false),
    };
  }

  status(opts?: CallOptions): Promise<StatusResponse> {
    return this.rpc.status({}, opts);
  }
  hash(opts?: CallOptions): Promise<HashResponse> {
    return this.rpc.hash({}, opts);
  }
  hashKV(revision = 0, opts?: CallOptions): Promise<HashKVResponse> {
    return this.rpc.hashKV({ revision }, opts);
  }
  alarmList(opts?: CallOptions): Promise<AlarmResponse> {
    return this.rpc.alarmGet({ action: 0, memberID: 0n, alarm: AlarmType.NONE }, opts);
  }
  alarmDisarm(memberID: bigint, alarm: AlarmType, opts?: CallOptions): Promise<AlarmResponse> {
    return this.rpc.alarm({ action: 2, memberID, alarm }, opts);
  }
  defragment(opts?: CallOptions): Promise<DefragmentResponse> {
    return this.rpc.defragment({}, opts);
  }
  moveLeader(targetID: bigint, opts?: CallOptions): Promise<MoveLeaderResponse> {
    return this.rpc.moveLeader({ targetID }, opts);
  }
  /** etcd 3.5+: validate, enable or cancel a downgrade of the cluster version to `version` (MAJOR.MINOR). */
  downgrade(action: DowngradeAction, version = '', opts?: CallOptions): Promise<DowngradeResponse> {
    const rpc = action === DowngradeAction.VALIDATE ? this.rpc.downgradeValidate : this.rpc.downgrade;
    return rpc({ action, version }, opts);
  }

  /** The member's backend as a stream of chunks. */
  async *snapshot(opts: CallOptions = {}): AsyncGenerator<Uint8Array> {
    const m = streamMethod<object, SnapshotResponse>('etcdserverpb.Maintenance', 'Snapshot');
    const { call } = await this.transport.openStream(m.path, { ...opts, request: m.request.encode({}) });
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const msg of call) yield m.response.decode(msg).blob;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }
}
