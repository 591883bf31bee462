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
}

export interface HashResponse {
  header: ResponseHeader;
  hash: number;
}

export interface HashKVResponse {
  header: ResponseHeader;
  hash: number;
  compactRevision: number;
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
