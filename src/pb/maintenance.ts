// In-process shapes of etcdserverpb's Maintenance and Cluster messages (camelCase
// as protobufjs names the .proto fields; IDs as bigints).
import type { ResponseHeader } from './kv.js';

export enum AlarmType {
  NONE = 0,
  NOSPACE = 1,
  CORRUPT = 2,
}

export enum AlarmAction {
  GET = 0,
  ACTIVATE = 1,
  DEACTIVATE = 2,
}

export interface AlarmMember {
  memberID: bigint;
  alarm: AlarmType;
}

export interface AlarmRequest {
  action: AlarmAction;
  memberID: bigint;
  alarm: AlarmType;
}

export interface AlarmResponse {
  header?: ResponseHeader;
  alarms: AlarmMember[];
}

export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
  /** etcd 3.6: absent from a member behaving as an older release. */
  storageVersion?: string;
  dbSizeQuota?: number;
  downgradeInfo?: { enabled: boolean; targetVersion: string };
}

export interface HashResponse {
  header: ResponseHeader;
  hash: number;
}

export interface HashKVResponse {
  header: ResponseHeader;
  hash: number;
  compactRevision: number;
  /** etcd 3.6: the revision hashed up to. */
  hashRevision?: number;
}

/** etcd 3.5's DowngradeRequest (action VALIDATE 0, ENABLE 1, CANCEL 2). */
export interface DowngradeRequest {
  action: number;
  version: string;
}

export interface DowngradeResponse {
  header: ResponseHeader;
  /** The cluster version as major.minor. */
  version: string;
}

/** etcdserverpb.Member as the Cluster service sends it. */
export interface MemberWire {
  ID: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberListResponse {
  header: ResponseHeader;
  members: MemberWire[];
}

export interface MemberAddResponse extends MemberListResponse {
  member: MemberWire;
}
