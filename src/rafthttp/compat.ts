// What peers tell each other about themselves on every Raft request, and the checks
// etcd's handlers make before taking one: the sender's server version must be at
// least our minimum cluster version, its minimum cluster version at most our server
// version (major.minor), and its cluster ID ours. A refusal is a 412 whose body is
// the reason, which the sender matches on.
import type { Agent, IncomingHttpHeaders } from 'node:http';
import type { NodeId } from '../raft/types.js';
import type { PeerTls } from './tls.js';
import { MIN_CLUSTER_VERSION } from '../config/version.js';
import { compareSemver, minorOf, parseGoSemver, type Semver } from '../version/index.js';
import { HDR_CLUSTER_ID, HDR_FROM, HDR_MIN_CLUSTER_VERSION, HDR_PEER_URLS, HDR_SERVER_VERSION } from './paths.js';

export const ERR_INCOMPATIBLE_VERSION = 'incompatible version';
export const ERR_CLUSTER_ID_MISMATCH = 'cluster ID mismatch';

const LOCAL_MIN_CLUSTER = parseGoSemver(MIN_CLUSTER_VERSION)!;
/** etcd 2.0 sent no version headers: their absence means 2.0.0. */
const ABSENT = '2.0.0';

/** rafthttp's compareMajorMinorVersion. */
function compareMajorMinor(a: Semver, b: Semver): number {
  return Math.sign(compareSemver(minorOf(a), minorOf(b)));
}

/** Who a member's outgoing peer requests come from, and how they travel. */
export interface PeerSender {
  localId: NodeId;
  clusterId(): bigint;
  advertiseUrls: readonly string[];
  /** The release this member runs as (X-Server-Version). */
  serverVersion: string;
  tls?: PeerTls;
  agent: Agent;
}

/** The headers etcd's senders set (createPostRequest, the stream reader's dial); `serverVersion` is the release this member runs as. */
export function senderHeaders(from: bigint, clusterId: bigint, peerUrls: readonly string[], serverVersion: string): Record<string, string> {
  const h: Record<string, string> = {
    [HDR_FROM]: from.toString(16),
    [HDR_SERVER_VERSION]: serverVersion,
    [HDR_MIN_CLUSTER_VERSION]: MIN_CLUSTER_VERSION,
    [HDR_CLUSTER_ID]: clusterId.toString(16),
  };
  if (peerUrls.length) h[HDR_PEER_URLS] = peerUrls.join(',');
  return h;
}

function header(h: IncomingHttpHeaders, name: string): string {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function versionOf(h: IncomingHttpHeaders, name: string): Semver | undefined {
  return parseGoSemver(header(h, name) || ABSENT);
}

/** The sender's server version (X-Server-Version), 2.0.0 when absent. */
export function serverVersionOf(h: IncomingHttpHeaders): Semver | undefined {
  return versionOf(h, HDR_SERVER_VERSION);
}

export interface Refusal {
  /** The 412 body etcd writes (without the newline). */
  reason: string;
  /** For the log. */
  detail: string;
}

/** etcd's checkClusterCompatibilityFromHeader against this member's `localVersion`; undefined when the request may proceed. */
export function checkCompatibility(h: IncomingHttpHeaders, clusterId: bigint, localVersion: string): Refusal | undefined {
  const local = parseGoSemver(localVersion);
  if (!local) throw new Error(`unparsable local server version ${localVersion}`);
  const remote = header(h, HDR_FROM) || 'unknown';
  const server = versionOf(h, HDR_SERVER_VERSION);
  const minCluster = versionOf(h, HDR_MIN_CLUSTER_VERSION);
  if (!server || !minCluster) return { reason: ERR_INCOMPATIBLE_VERSION, detail: `unparsable version headers from ${remote}` };
  if (compareMajorMinor(server, LOCAL_MIN_CLUSTER) < 0) {
    return { reason: ERR_INCOMPATIBLE_VERSION, detail: `remote version is too low: remote[${remote}]=${header(h, HDR_SERVER_VERSION) || ABSENT}, local=${localVersion}` };
  }
  if (compareMajorMinor(minCluster, local) > 0) {
    return { reason: ERR_INCOMPATIBLE_VERSION, detail: `local version is too low: remote[${remote}]=${header(h, HDR_SERVER_VERSION) || ABSENT}, local=${localVersion}` };
  }
  const cid = header(h, HDR_CLUSTER_ID);
  if (cid !== clusterId.toString(16)) {
    return { reason: ERR_CLUSTER_ID_MISMATCH, detail: `remote-peer-cluster-id=${cid}, local-member-cluster-id=${clusterId.toString(16)}` };
  }
  return undefined;
}

/** What a sender makes of a 412's body (rafthttp's checkPostResponse and stream dial). */
export function refusalError(body: string): Error {
  const reason = body.replace(/\n$/, '');
  if (reason === ERR_INCOMPATIBLE_VERSION || reason === ERR_CLUSTER_ID_MISMATCH) return new Error(reason);
  return new Error(`unhandled error ${JSON.stringify(body)} when precondition failed`);
}
