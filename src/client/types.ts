// Response shapes of the non-KV services, as the codec decodes them.
import type { KeyValue, ResponseHeader } from '../pb/kv.js';

export interface LeaseGrantResponse { header?: ResponseHeader; ID: bigint; TTL: number; error: string }
export interface LeaseRevokeResponse { header?: ResponseHeader }
export interface LeaseKeepAliveResponse { header?: ResponseHeader; ID: bigint; TTL: number }
export interface LeaseTimeToLiveResponse { header?: ResponseHeader; ID: bigint; TTL: number; grantedTTL: number; keys: Uint8Array[] }
export interface LeaseLeasesResponse { header?: ResponseHeader; leases: { ID: bigint }[] }

export interface Member { ID: bigint; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }
export interface MemberListResponse { header?: ResponseHeader; members: Member[] }
export interface MemberAddResponse { header?: ResponseHeader; member?: Member; members: Member[] }
export interface MemberRemoveResponse { header?: ResponseHeader; members: Member[] }
export interface MemberUpdateResponse { header?: ResponseHeader; members: Member[] }
export interface MemberPromoteResponse { header?: ResponseHeader; members: Member[] }

export interface DowngradeInfo { enabled: boolean; targetVersion: string }
export interface StatusResponse {
  header?: ResponseHeader; version: string; dbSize: number; leader: bigint; raftIndex: number; raftTerm: number;
  raftAppliedIndex: number; errors: string[]; dbSizeInUse: number; isLearner: boolean;
  /** etcd 3.6: absent (empty, 0) from older servers. */
  storageVersion: string; dbSizeQuota: number; downgradeInfo?: DowngradeInfo;
}
export interface HashResponse { header?: ResponseHeader; hash: number }
/** hashRevision: etcd 3.6 (0 from older servers). */
export interface HashKVResponse { header?: ResponseHeader; hash: number; compactRevision: number; hashRevision: number }
export interface DowngradeResponse { header?: ResponseHeader; version: string }
export interface AuthStatusResponse { header?: ResponseHeader; enabled: boolean; authRevision: number }
export interface AlarmMember { memberID: bigint; alarm: number }
export interface AlarmResponse { header?: ResponseHeader; alarms: AlarmMember[] }
export interface DefragmentResponse { header?: ResponseHeader }
export interface MoveLeaderResponse { header?: ResponseHeader }
export interface SnapshotResponse { header?: ResponseHeader; remainingBytes: number; blob: Uint8Array }

export interface Permission { permType: number; key: Uint8Array; rangeEnd: Uint8Array }
export interface AuthHeaderOnly { header?: ResponseHeader }
export interface AuthenticateResponse { header?: ResponseHeader; token: string }
export interface AuthUserGetResponse { header?: ResponseHeader; roles: string[] }
export interface AuthUserListResponse { header?: ResponseHeader; users: string[] }
export interface AuthRoleGetResponse { header?: ResponseHeader; perm: Permission[] }
export interface AuthRoleListResponse { header?: ResponseHeader; roles: string[] }

export interface LockResponse { header?: ResponseHeader; key: Uint8Array }
export interface LeaderKey { name: Uint8Array; key: Uint8Array; rev: number; lease: bigint }
export interface CampaignResponse { header?: ResponseHeader; leader?: LeaderKey }
export interface LeaderResponse { header?: ResponseHeader; kv?: KeyValue }
