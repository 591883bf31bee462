// In-process shapes of etcdserverpb's lease messages (camelCase as protobufjs names
// the .proto fields): TTLs in seconds as numbers, lease IDs as bigints.
import type { ResponseHeader } from './kv.js';

export interface LeaseGrantRequest {
  TTL: number;
  ID: bigint;
}

export interface LeaseGrantResponse {
  header?: ResponseHeader;
  ID: bigint;
  TTL: number;
  error: string;
}

export interface LeaseRevokeRequest {
  ID: bigint;
}

export interface LeaseRevokeResponse {
  header?: ResponseHeader;
}

export interface LeaseKeepAliveRequest {
  ID: bigint;
}

export interface LeaseKeepAliveResponse {
  header?: ResponseHeader;
  ID: bigint;
  TTL: number;
}

export interface LeaseTimeToLiveRequest {
  ID: bigint;
  keys: boolean;
}

export interface LeaseTimeToLiveResponse {
  header?: ResponseHeader;
  ID: bigint;
  TTL: number;
  grantedTTL: number;
  keys: Uint8Array[];
}

export interface LeaseStatus {
  ID: bigint;
}

export interface LeaseLeasesResponse {
  header?: ResponseHeader;
  leases: LeaseStatus[];
}
