// Bad input for a member's peer port (etcd's rafthttp and peer handler), from a seed:
// wrong methods, bad cluster IDs, versions, From and To headers, garbage, truncated
// and oversized-length bodies to /raft and /raft/snapshot, bad stream paths, and
// garbage to /members, /members/hashkv, /leases, /raft/probing. Where etcd has a
// refusal for the input, `expect` holds it (status and the body's text).
import { encodeMessage, MessageType, newMessage } from '../../src/raft/index.js';

export interface PeerTarget {
  clusterId: string;
  /** The fuzzed member's ID and the other members' (hex). */
  memberId: string;
  peerIds: string[];
  serverVersion: string;
}

export interface PeerInput {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** etcd's refusal for this input, when it has one. */
  expect?: { status: number; text?: string };
}

/** Raft routes' own refusals, in the order etcd's handlers make them. */
const RAFT_ROUTES: Array<[string, string]> = [
  ['/raft', 'POST'],
  ['/raft/snapshot', 'POST'],
  ['/raft/stream/message/', 'GET'],
  ['/raft/stream/msgapp/', 'GET'],
];

export function generatePeerInput(rand: () => number, t: PeerTarget): PeerInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let k = 0; k < n; k++) b[k] = int(0, 255);
    return b;
  };
  /** A sender's headers as a member of another cluster, or one too old or too new, would send them. */
  const good = (): Record<string, string> => ({ 'x-server-from': pick(t.peerIds), 'x-server-version': t.serverVersion, 'x-min-cluster-version': '3.0.0', 'x-etcd-cluster-id': t.clusterId, 'x-raft-to': t.memberId });
  const u64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    return b;
  };
  const r = rand();

  if (r < 0.12) {
    const [route, method] = pick(RAFT_ROUTES);
    const path = route.endsWith('/') ? route + pick(t.peerIds) : route;
    const m = pick(['GET', 'PUT', 'DELETE', 'PATCH', 'POST', 'OPTIONS'].filter((x) => x !== method));
    return { kind: 'method', method: m, path, headers: good(), body: m === 'GET' ? Buffer.alloc(0) : bytes(int(0, 64)), expect: { status: 405, text: 'Method Not Allowed' } };
  }
  if (r < 0.28) {
    // Headers of a member that does not belong: another cluster, or an incompatible release.
    const [route, method] = pick(RAFT_ROUTES);
    const path = route.endsWith('/') ? route + pick(t.peerIds) : route;
    const h = good();
    const which = pick(['cluster', 'cluster-missing', 'server-old', 'min-new', 'unparsable', 'server-garbage']);
    if (which === 'cluster') h['x-etcd-cluster-id'] = (BigInt('0x' + t.clusterId) ^ BigInt(int(1, 1 << 30))).toString(16);
    if (which === 'cluster-missing') delete h['x-etcd-cluster-id'];
    if (which === 'server-old') h['x-server-version'] = pick(['2.3.0', '1.0.0', '0.0.1']);
    if (which === 'min-new') h['x-min-cluster-version'] = pick(['3.7.0', '4.0.0', '99.0.0']);
    if (which === 'unparsable') h[pick(['x-server-version', 'x-min-cluster-version'])] = pick(['x', '3', '3.4', '-1.0.0', '3.4.x', ' ']);
    if (which === 'server-garbage') h['x-server-version'] = bytes(int(1, 20)).toString('latin1').replace(/[^\x20-\x7e]/g, 'a');
    const cidOnly = which === 'cluster' || which === 'cluster-missing';
    // A version etcd cannot parse panics its handler (semver.Must), which drops the connection: no refusal to match.
    const expect = which === 'unparsable' || which === 'server-garbage' ? undefined : { status: 412, text: cidOnly ? 'cluster ID mismatch' : 'incompatible version' };
    return { kind: `headers:${which}`, method, path, headers: h, body: method === 'POST' ? bytes(int(0, 100)) : Buffer.alloc(0), expect };
  }
  if (r < 0.45) {
    // /raft with etcd's headers and a body that is not a Raft message.
    // Its last field is the context, longer than any cut below: a cut always lands inside it.
    const real = Buffer.from(encodeMessage(newMessage(MessageType.Heartbeat, BigInt('0x' + t.memberId), { from: BigInt('0x' + pick(t.peerIds)), term: 1, context: bytes(int(12, 40)) })));
    const how = pick(['bad-wire-type', 'cut', 'length-past-end', 'random']);
    const body =
      how === 'bad-wire-type' ? Buffer.concat([Buffer.from([pick([0x0f, 0x07, 0x0e, 0x06])]), bytes(int(0, 100))])
      : how === 'cut' ? real.subarray(0, real.length - int(1, 10))
      : how === 'length-past-end' ? Buffer.from([0x62, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) // context: 4 GiB said, 3 bytes there
      : bytes(int(0, 300));
    // Random bytes may happen to decode; only the others are certain refusals.
    return { kind: `raft:${how}`, method: 'POST', path: '/raft', headers: good(), body, expect: how === 'random' ? undefined : { status: 400, text: 'error unmarshalling raft message' } };
  }
  if (r < 0.6) {
    // /raft/snapshot: garbage, a length prefix past etcd's limit or past the body, or a message that is not a snapshot.
    const how = pick(['huge-length', 'short', 'garbage', 'not-snap', 'empty']);
    const msg = Buffer.from(encodeMessage(newMessage(MessageType.Heartbeat, BigInt('0x' + t.memberId), { from: BigInt('0x' + pick(t.peerIds)), term: 1 })));
    const body =
      how === 'huge-length' ? Buffer.concat([u64(pick([1n << 40n, (1n << 64n) - 1n, 512n * 1024n * 1024n + 1n])), bytes(int(0, 64))])
      : how === 'short' ? Buffer.concat([u64(BigInt(int(100, 100_000))), bytes(int(0, 90))])
      : how === 'garbage' ? Buffer.concat([u64(BigInt(int(4, 40))), Buffer.from([0x0f]), bytes(int(40, 200))])
      : how === 'not-snap' ? Buffer.concat([u64(BigInt(msg.length)), msg, bytes(int(0, 100))])
      : Buffer.alloc(0);
    const text = how === 'not-snap' ? 'wrong raft message type' : undefined;
    return { kind: `snapshot:${how}`, method: 'POST', path: '/raft/snapshot', headers: good(), body, expect: { status: 400, text } };
  }
  if (r < 0.75) {
    // Stream routes: unknown stream types, IDs that are not IDs, members that are not members, the wrong To.
    const h = good();
    const how = pick(['type', 'from', 'unknown', 'to']);
    const type = pick(['message', 'msgapp']);
    if (how === 'type') return { kind: 'stream:type', method: 'GET', path: `/raft/stream/${pick(['msgappv2', 'x', '', 'message/extra'])}/${pick(t.peerIds)}`, headers: h, body: Buffer.alloc(0), expect: { status: 404, text: 'invalid path' } };
    if (how === 'from') return { kind: 'stream:from', method: 'GET', path: `/raft/stream/${type}/${pick(['zz', '', '-1', '1'.repeat(17), '0x12', '%201'])}`, headers: h, body: Buffer.alloc(0), expect: { status: 404, text: 'invalid from' } };
    if (how === 'unknown') {
      let id = BigInt(int(1, 1 << 30)) * 7919n;
      while (t.peerIds.includes(id.toString(16)) || id.toString(16) === t.memberId) id++;
      return { kind: 'stream:unknown', method: 'GET', path: `/raft/stream/${type}/${id.toString(16)}`, headers: h, body: Buffer.alloc(0), expect: { status: 404, text: 'error sender not found' } };
    }
    h['x-raft-to'] = pick(['', '0', 'zz', (BigInt('0x' + t.memberId) + 1n).toString(16)]);
    return { kind: 'stream:to', method: 'GET', path: `/raft/stream/${type}/${pick(t.peerIds)}`, headers: h, body: Buffer.alloc(0), expect: { status: 412, text: 'to field mismatch' } };
  }
  if (r < 0.92) {
    // The peer handler's other routes, with bad methods and bodies.
    const how = pick(['members-post', 'members-body', 'hashkv-garbage', 'hashkv-method', 'leases-garbage', 'leases-get', 'internal-garbage', 'probing', 'version-post', 'promote-bad', 'unknown']);
    switch (how) {
      case 'members-post':
        return { kind: how, method: pick(['POST', 'PUT', 'DELETE']), path: '/members', headers: {}, body: bytes(int(0, 50)), expect: { status: 405, text: 'Method Not Allowed' } };
      case 'members-body':
        return { kind: how, method: 'GET', path: '/members', headers: {}, body: bytes(int(0, 500)), expect: { status: 200 } };
      case 'hashkv-garbage':
        return { kind: how, method: 'GET', path: '/members/hashkv', headers: { 'x-etcd-cluster-id': t.clusterId }, body: Buffer.concat([Buffer.from([0x0f]), bytes(int(0, 50))]), expect: { status: 400, text: 'error unmarshalling request' } };
      case 'hashkv-method':
        return { kind: how, method: pick(['POST', 'PUT']), path: '/members/hashkv', headers: {}, body: bytes(int(0, 50)), expect: { status: 405, text: 'Method Not Allowed' } };
      case 'leases-garbage':
        return { kind: how, method: 'POST', path: '/leases', headers: {}, body: Buffer.concat([Buffer.from([0x0f]), bytes(int(0, 50))]), expect: { status: 400, text: 'error unmarshalling request' } };
      case 'leases-get':
        return { kind: how, method: 'GET', path: pick(['/leases', '/leases/internal']), headers: {}, body: Buffer.alloc(0), expect: { status: 405, text: 'Method Not Allowed' } };
      case 'internal-garbage':
        return { kind: how, method: 'POST', path: '/leases/internal', headers: {}, body: Buffer.concat([Buffer.from([0x0f]), bytes(int(0, 50))]), expect: { status: 400, text: 'error unmarshalling request' } };
      case 'probing':
        return { kind: how, method: pick(['GET', 'POST', 'PUT']), path: '/raft/probing', headers: {}, body: bytes(int(0, 2000)), expect: { status: 200 } };
      case 'version-post':
        return { kind: how, method: pick(['POST', 'PUT']), path: '/version', headers: {}, body: bytes(int(0, 50)), expect: { status: 405, text: 'Method Not Allowed' } };
      case 'promote-bad':
        return { kind: how, method: 'POST', path: `/members/promote/${pick(['x', '-1', '99999999999999999999999', ''])}`, headers: {}, body: bytes(int(0, 50)), expect: { status: 404 } };
      default:
        return { kind: how, method: pick(['GET', 'POST']), path: pick(['/raft/x', '/raftx', '/members/x', '/', '/debug/vars', '/%ff', '/raft/stream']), headers: good(), body: bytes(int(0, 50)) };
    }
  }
  // A peer's Raft message with etcd's headers from a sender that is not a member: it decodes, and Raft must shrug it off.
  const m = newMessage(pick([MessageType.Heartbeat, MessageType.App, MessageType.Vote, MessageType.PreVote, MessageType.ReadIndex, MessageType.TransferLeader, 99 as MessageType]), BigInt('0x' + t.memberId), {
    from: BigInt(int(1, 1 << 30)) * 104729n,
    term: 0,
    logTerm: int(0, 3),
    index: int(0, 1_000_000),
    commit: int(0, 1_000_000),
  });
  return { kind: 'raft:stranger', method: 'POST', path: '/raft', headers: good(), body: Buffer.from(encodeMessage(m)) };
}
