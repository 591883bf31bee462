// etcdctl's printers: simple, json, fields, table (and protobuf bytes), per response kind.
import type { DeleteRangeResponse, Event, KeyValue, PutResponse, RangeResponse, ResponseHeader, TxnResponse } from '../../pb/kv.js';
import type { WatchResponse } from '../../client/watch.js';
import type * as T from '../../client/types.js';
import { pbJson, stringify } from './gojson.js';
import { compactText, marshal } from './gopb.js';
import { goQuote, hex16, hexId, hexPad16, humanBytes, table } from './format.js';
import { CliExit, ExitCode } from './exit.js';
import { prefixEnd } from '../../client/bytes.js';

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table' | 'protobuf' | 'k8s' | 'k8s-json';

/** Outputs of etcdctl-ts's own, for get only. */
export const K8S_FORMATS: readonly OutputFormat[] = ['k8s', 'k8s-json'];

export interface EpHealth { ep: string; health: boolean; took: string; error: string }
export interface EpStatus { ep: string; resp: T.StatusResponse }
export interface EpHashKV { ep: string; resp: T.HashKVResponse }

const dec = new TextDecoder();
const text = (b: Uint8Array) => dec.decode(b);

function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => '\\x' + x.toString(16).padStart(2, '0')).join('');
}

type K8sPrinters = typeof import('./k8s/print.js');

export class Display {
  valueOnly = false;
  /** get's k8s outputs, loaded by loadK8s() only when asked for (they bring a YAML writer). */
  private k8s: K8sPrinters | undefined;
  constructor(
    readonly format: OutputFormat,
    readonly isHex: boolean,
    private readonly out: (s: string | Uint8Array) => void,
    private readonly err: (s: string) => void,
  ) {}

  async loadK8s(): Promise<void> {
    if (K8S_FORMATS.includes(this.format)) this.k8s = await import('./k8s/print.js');
  }

  private k8sPrinters(): K8sPrinters {
    if (this.k8s === undefined) throw new Error('k8s printers used before loadK8s()');
    return this.k8s;
  }

  private unsupported(): never {
    throw new CliExit(ExitCode.BadFeature, `${this.format} not supported as output format`);
  }

  /** json/protobuf of a raw response message, shared by every RPC-shaped printer. */
  private rpc(typeName: string, msg: unknown, jsonValue?: unknown): boolean {
    if (this.format === 'json') {
      this.out(stringify(jsonValue ?? pbJson(typeName, msg)) + '\n');
      return true;
    }
    if (this.format === 'protobuf') {
      this.out(marshal(typeName, msg as object));
      return true;
    }
    if (this.format === 'table') this.unsupported();
    return false;
  }

  /**
   * clientv3's lease responses are structs embedding *ResponseHeader: the
   * header's Marshal is the one promoted, so -w protobuf prints the header alone.
   */
  private leaseRpc(header: ResponseHeader | undefined, jsonValue: unknown): boolean {
    if (this.format === 'protobuf') {
      this.out(header ? marshal('etcdserverpb.ResponseHeader', header) : new Uint8Array(0));
      return true;
    }
    if (this.format === 'json') {
      this.out(stringify(jsonValue) + '\n');
      return true;
    }
    if (this.format === 'table') this.unsupported();
    return false;
  }

  private kv(k: KeyValue): void {
    const key = this.isHex ? hexBytes(k.key) : text(k.key);
    const value = this.isHex ? hexBytes(k.value) : text(k.value);
    if (!this.valueOnly) this.out(key + '\n');
    this.out(value + '\n');
  }

  private fieldsKv(pfx: string, k: KeyValue): void {
    this.out(`"${pfx}Key" : ${goQuote(text(k.key))}\n"${pfx}CreateRevision" : ${k.createRevision}\n"${pfx}ModRevision" : ${k.modRevision}\n"${pfx}Version" : ${k.version}\n"${pfx}Value" : ${goQuote(text(k.value))}\n"${pfx}Lease" : ${k.lease}\n`);
  }

  private hdr(h: ResponseHeader | undefined): void {
    const x = h ?? { clusterId: 0n, memberId: 0n, revision: 0, raftTerm: 0 };
    this.out(`"ClusterID" : ${x.clusterId}\n"MemberID" : ${x.memberId}\n"Revision" : ${x.revision}\n"RaftTerm" : ${x.raftTerm}\n`);
  }

  get(r: RangeResponse): void {
    if (this.format === 'k8s') return this.out(this.k8sPrinters().k8sYaml(r.kvs));
    if (this.format === 'k8s-json') return this.out(this.k8sPrinters().k8sJson(r.kvs));
    if (this.rpc('etcdserverpb.RangeResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const k of r.kvs) this.fieldsKv('', k);
      this.out(`"More" : ${r.more}\n"Count" : ${r.count}\n`);
      return;
    }
    for (const k of r.kvs) this.kv(k);
  }

  put(r: PutResponse): void {
    if (this.rpc('etcdserverpb.PutResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      if (r.prevKv) this.fieldsKv('Prev', r.prevKv);
      return;
    }
    this.out('OK\n');
    if (r.prevKv) this.kv(r.prevKv);
  }

  del(r: DeleteRangeResponse): void {
    if (this.rpc('etcdserverpb.DeleteRangeResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"Deleted" : ${r.deleted}\n`);
      for (const k of r.prevKvs) this.fieldsKv('Prev', k);
      return;
    }
    this.out(`${r.deleted}\n`);
    for (const k of r.prevKvs) this.kv(k);
  }

  txn(r: TxnResponse): void {
    if (this.rpc('etcdserverpb.TxnResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"Succeeded" : ${r.succeeded}\n`);
      for (const op of r.responses) {
        if (op.responseDeleteRange) this.del(op.responseDeleteRange);
        else if (op.responsePut) this.put(op.responsePut);
        else if (op.responseRange) this.get(op.responseRange);
      }
      return;
    }
    this.out(r.succeeded ? 'SUCCESS\n' : 'FAILURE\n');
    for (const op of r.responses) {
      this.out('\n');
      if (op.responseDeleteRange) this.del(op.responseDeleteRange);
      else if (op.responsePut) this.put(op.responsePut);
      else if (op.responseRange) this.get(op.responseRange);
    }
  }

  /** `closed`: clientv3's response for a watch that never started (zero header, no events slice). */
  watch(r: WatchResponse, closed = false): void {
    if (this.format === 'json') {
      const ev = (e: Event) => pbJson('mvccpb.Event', e);
      this.out(stringify({ Header: pbJson('etcdserverpb.ResponseHeader', r.header ?? {}), Events: closed ? null : r.events.map(ev), CompactRevision: r.compactRevision, Canceled: r.canceled, Created: r.created }) + '\n');
      return;
    }
    if (this.format === 'protobuf') {
      // etcdctl marshals a WatchResponse of its own with only these fields.
      this.out(marshal('etcdserverpb.WatchResponse', { header: r.header, events: r.events, compactRevision: r.compactRevision, canceled: r.canceled, created: r.created }));
      return;
    }
    if (this.format === 'table') this.unsupported();
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const e of r.events) {
        this.out(`"Type" : ${e.type === 1 ? 'DELETE' : 'PUT'}\n`);
        if (e.prevKv) this.fieldsKv('Prev', e.prevKv);
        this.fieldsKv('', e.kv);
      }
      return;
    }
    for (const e of r.events) {
      this.out(e.type === 1 ? 'DELETE\n' : 'PUT\n');
      if (e.prevKv) this.kv(e.prevKv);
      this.kv(e.kv);
    }
  }

  private flatHeader(h: ResponseHeader | undefined): Record<string, unknown> {
    return h ? pbJson('etcdserverpb.ResponseHeader', h) : {};
  }

  grant(r: T.LeaseGrantResponse): void {
    if (this.leaseRpc(r.header, { ...this.flatHeader(r.header), ID: r.ID, TTL: r.TTL, Error: r.error })) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n`);
      return;
    }
    this.out(`lease ${hex16(r.ID)} granted with TTL(${r.TTL}s)\n`);
  }

  revoke(id: bigint, r: T.LeaseRevokeResponse): void {
    // clientv3.LeaseRevokeResponse is a value of a type without Marshal: printPB refuses it, with its %v.
    if (this.format === 'protobuf') throw new CliExit(ExitCode.BadFeature, `marshal unsupported for type clientv3.LeaseRevokeResponse ({${compactText('etcdserverpb.ResponseHeader', r.header)}})`);
    if (this.rpc('etcdserverpb.LeaseRevokeResponse', r)) return;
    if (this.format === 'fields') return this.hdr(r.header);
    this.out(`lease ${hex16(id)} revoked\n`);
  }

  keepAlive(r: T.LeaseKeepAliveResponse): void {
    if (this.leaseRpc(r.header, { ...this.flatHeader(r.header), ID: r.ID, TTL: r.TTL })) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n`);
      return;
    }
    this.out(`lease ${hex16(r.ID)} keepalived with TTL(${r.TTL})\n`);
  }

  timeToLive(r: T.LeaseTimeToLiveResponse, keys: boolean): void {
    const json = { ...this.flatHeader(r.header), id: r.ID, ttl: r.TTL, 'granted-ttl': r.grantedTTL, keys: r.keys.length ? r.keys : null };
    if (this.leaseRpc(r.header, json)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n"GrantedTTL" : ${r.grantedTTL}\n`);
      for (const k of r.keys) this.out(`"Key" : ${goQuote(text(k))}\n`);
      return;
    }
    if (r.grantedTTL === 0 && r.TTL === -1) {
      this.out(`lease ${hex16(r.ID)} already expired\n`);
      return;
    }
    let line = `lease ${hex16(r.ID)} granted with TTL(${r.grantedTTL}s), remaining(${r.TTL}s)`;
    if (keys) line += `, attached keys([${r.keys.map(text).join(' ')}])`;
    this.out(line + '\n');
  }

  leases(r: T.LeaseLeasesResponse): void {
    if (this.leaseRpc(r.header, { ...this.flatHeader(r.header), leases: r.leases.map((l) => ({ id: l.ID })) })) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const l of r.leases) this.out(`"ID" : ${l.ID}\n`);
      return;
    }
    this.out(`found ${r.leases.length} leases\n`);
    for (const l of r.leases) this.out(`${hex16(l.ID)}\n`);
  }

  private memberRows(r: { members: T.Member[] }): string[][] {
    return r.members.map((m) => [hexId(m.ID), m.name.length === 0 ? 'unstarted' : 'started', m.name, m.peerURLs.join(','), m.clientURLs.join(','), String(m.isLearner)]);
  }

  memberList(r: T.MemberListResponse): void {
    if (this.format === 'table') {
      this.out(table(['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'], this.memberRows(r)));
      return;
    }
    if (this.rpc('etcdserverpb.MemberListResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const m of r.members) {
        this.out(`"ID" : ${m.ID}\n"Name" : ${goQuote(m.name)}\n`);
        for (const u of m.peerURLs) this.out(`"PeerURL" : ${goQuote(u)}\n`);
        for (const u of m.clientURLs) this.out(`"ClientURL" : ${goQuote(u)}\n`);
        this.out(`"IsLearner" : ${m.isLearner}\n\n`);
      }
      return;
    }
    for (const row of this.memberRows(r)) this.out(row.join(', ') + '\n');
  }

  memberChange(kind: 'added to' | 'removed from' | 'updated in' | 'promoted in', id: bigint, typeName: string, r: { header?: ResponseHeader }): void {
    if (this.rpc(typeName, r)) return;
    if (this.format === 'fields') return this.hdr(r.header);
    this.out(`Member ${hexPad16(id)} ${kind} cluster ${hexPad16(r.header?.clusterId ?? 0n)}\n`);
  }

  endpointHealth(hs: EpHealth[]): void {
    if (this.format === 'json') {
      this.out(stringify(hs.map((h) => ({ endpoint: h.ep, health: h.health, took: h.took, error: h.error || undefined }))) + '\n');
      return;
    }
    if (this.format === 'table') {
      this.out(table(['endpoint', 'health', 'took', 'error'], hs.map((h) => [h.ep, String(h.health), h.took, h.error])));
      return;
    }
    if (this.format === 'fields') {
      for (const h of hs) this.out(`"Endpoint" : ${goQuote(h.ep)}\n"Health" : ${h.health}\n"Took" : ${h.took}\n"Error" : ${h.error}\n\n`);
      return;
    }
    if (this.format === 'protobuf') this.unsupported();
    for (const h of hs) {
      if (h.error === '') this.err(`${h.ep} is healthy: successfully committed proposal: took = ${h.took}\n`);
      else this.err(`${h.ep} is unhealthy: failed to commit proposal: ${h.error}\n`);
    }
  }

  private statusRows(ss: EpStatus[]): string[][] {
    return ss.map(({ ep, resp: r }) => [ep, hexId(r.header?.memberId ?? 0n), r.version, humanBytes(r.dbSize), String(r.leader === (r.header?.memberId ?? 0n)), String(r.isLearner), String(r.raftTerm), String(r.raftIndex), String(r.raftAppliedIndex), r.errors.join(', ')]);
  }

  endpointStatus(ss: EpStatus[]): void {
    const hdr = ['endpoint', 'ID', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'errors'];
    if (this.format === 'json') {
      this.out(stringify(ss.map((s) => ({ Endpoint: s.ep, Status: pbJson('etcdserverpb.StatusResponse', s.resp) }))) + '\n');
      return;
    }
    if (this.format === 'table') return this.out(table(hdr, this.statusRows(ss)));
    if (this.format === 'protobuf') this.unsupported();
    if (this.format === 'fields') {
      for (const { ep, resp: r } of ss) {
        this.hdr(r.header);
        this.out(`"Version" : ${goQuote(r.version)}\n"DBSize" : ${r.dbSize}\n"Leader" : ${r.leader}\n"IsLearner" : ${r.isLearner}\n"RaftIndex" : ${r.raftIndex}\n"RaftTerm" : ${r.raftTerm}\n"RaftAppliedIndex" : ${r.raftAppliedIndex}\n"Errors" : [${r.errors.join(' ')}]\n"Endpoint" : ${goQuote(ep)}\n\n`);
      }
      return;
    }
    for (const row of this.statusRows(ss)) this.out(row.join(', ') + '\n');
  }

  endpointHashKV(hs: EpHashKV[]): void {
    if (this.format === 'json') {
      this.out(stringify(hs.map((h) => ({ Endpoint: h.ep, HashKV: pbJson('etcdserverpb.HashKVResponse', h.resp) }))) + '\n');
      return;
    }
    const rows = hs.map((h) => [h.ep, String(h.resp.hash)]);
    if (this.format === 'table') return this.out(table(['endpoint', 'hash'], rows));
    if (this.format === 'protobuf') this.unsupported();
    if (this.format === 'fields') {
      for (const h of hs) {
        this.hdr(h.resp.header);
        this.out(`"Endpoint" : ${goQuote(h.ep)}\n"Hash" : ${h.resp.hash}\n\n`);
      }
      return;
    }
    for (const r of rows) this.out(r.join(', ') + '\n');
  }

  alarm(r: T.AlarmResponse): void {
    if (this.rpc('etcdserverpb.AlarmResponse', r)) return;
    const NAMES = ['NONE', 'NOSPACE', 'CORRUPT'];
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const a of r.alarms) this.out(`"MemberID" : ${a.memberID}\n"AlarmType" : ${NAMES[a.alarm] ?? a.alarm}\n\n`);
      return;
    }
    for (const a of r.alarms) this.out(`memberID:${a.memberID} alarm:${NAMES[a.alarm] ?? a.alarm} \n`);
  }

  moveLeader(leader: bigint, target: bigint, r: T.MoveLeaderResponse): void {
    if (this.format === 'json' || this.format === 'protobuf') {
      this.rpc('etcdserverpb.MoveLeaderResponse', r);
      return;
    }
    if (this.format !== 'simple') this.unsupported();
    this.out(`Leadership transferred from ${hexId(leader)} to ${hexId(target)}\n`);
  }

  /** etcdctl 3.6: a line for simple, the response for json and protobuf; fields and table are unsupported. */
  downgrade(action: 'validate' | 'enable' | 'cancel', r: T.DowngradeResponse): void {
    if (this.format === 'fields') this.unsupported();
    if (this.rpc('etcdserverpb.DowngradeResponse', r)) return;
    this.out(`Downgrade ${action} success, cluster version ${r.version}\n`);
  }

  dbStatus(d: { hash: number; revision: number; totalKey: number; totalSize: number }): void {
    if (this.format === 'json') {
      this.out(stringify({ hash: d.hash, revision: d.revision, totalKey: d.totalKey, totalSize: d.totalSize }) + '\n');
      return;
    }
    if (this.format === 'protobuf') this.unsupported();
    if (this.format === 'fields') {
      this.out(`"Hash" : ${d.hash}\n"Revision" : ${d.revision}\n"Keys" : ${d.totalKey}\n"Size" : ${d.totalSize}\n`);
      return;
    }
    const row = [d.hash.toString(16), String(d.revision), String(d.totalKey), humanBytes(d.totalSize)];
    if (this.format === 'table') return this.out(table(['hash', 'revision', 'total keys', 'total size'], [row]));
    this.out(row.join(', ') + '\n');
  }

  /** Auth commands: the simple line, or the header for fields, or the response for json. */
  authResult(typeName: string, r: { header?: ResponseHeader }, simple: string): void {
    if (this.rpc(typeName, r)) return;
    if (this.format === 'fields') return this.hdr(r.header);
    this.out(simple);
  }

  roleGet(role: string, r: T.AuthRoleGetResponse): void {
    if (this.rpc('etcdserverpb.AuthRoleGetResponse', r)) return;
    const PERM_NAMES = ['READ', 'WRITE', 'READWRITE'];
    if (this.format === 'fields') {
      this.hdr(r.header);
      for (const p of r.perm) this.out(`"PermType" :  ${PERM_NAMES[p.permType] ?? p.permType}\n"Key" : ${goQuote(text(p.key))}\n"RangeEnd" : ${goQuote(text(p.rangeEnd))}\n`);
      return;
    }
    const lines = (types: number[]) =>
      r.perm
        .filter((p) => types.includes(p.permType))
        .map((p) => {
          const key = text(p.key);
          if (p.rangeEnd.length === 0) return `\t${key}\n`;
          const end = text(p.rangeEnd);
          const range = end !== '\x00' ? `\t[${key}, ${end})` : `\t[${key}, <open ended>`;
          return range + (text(prefixEnd(p.key)) === end ? ` (prefix ${key})` : '') + '\n';
        })
        .join('');
    this.out(`Role ${role}\nKV Read:\n${lines([0, 2])}KV Write:\n${lines([1, 2])}`);
  }

  roleList(r: T.AuthRoleListResponse): void {
    if (this.rpc('etcdserverpb.AuthRoleListResponse', r)) return;
    if (this.format === 'fields') {
      this.hdr(r.header);
      this.out(`"Roles" :${r.roles.map((x) => ' ' + goQuote(x)).join('')}\n`);
      return;
    }
    this.out(r.roles.map((x) => x + '\n').join(''));
  }

  /** The fields printer has no user get or user list of its own. */
  userGet(name: string, r: T.AuthUserGetResponse): void {
    if (this.rpc('etcdserverpb.AuthUserGetResponse', r)) return;
    if (this.format === 'fields') this.unsupported();
    this.out(`User: ${name}\nRoles:${r.roles.map((x) => ' ' + x).join('')}\n`);
  }

  userList(r: T.AuthUserListResponse): void {
    if (this.rpc('etcdserverpb.AuthUserListResponse', r)) return;
    if (this.format === 'fields') this.unsupported();
    this.out(r.users.map((u) => u + '\n').join(''));
  }
}
